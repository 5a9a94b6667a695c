"""The formgrader's Autograde button is refused: its kernels would run student code with the instructor's rights.

Only tools/grade.py starts kernels in the bubblewrap sandbox. nbgrader's formgrader autogrades in the
Jupyter server's own process, with plain kernels, so the course's configuration refuses it
(tools/grading.SandboxOnlyExporter) before nbgrader changes anything, and says to grade with
tools/grade.py. JupyterLab serves a copied course with a collected submission whose code writes a file
outside its folder; the formgrader's autograde API (what the button posts) must answer with that
refusal, run no kernel, and leave the gradebook and an earlier autograded copy alone. Then what the
refusal says to run grades the submission in the sandbox, and the formgrader shows the grade. Plain
`nbgrader autograde` is refused the same way, unless told the notebooks are trusted (the tests' own
submissions), and then grades with a warning in its log; in
Chromium, the button's error dialog shows the refusal (artifacts/formgrader/).

    uv run pytest tests/test_formgrader.py     # about 95 s; the Chromium test skips where Chromium is missing
"""
import json
import re
import shutil
import subprocess
import sys
import urllib.request

import pytest

import browsing
import course
from browsing import CHROMIUM
from course import ASSIGNMENT
from test_browser import jupyter_lab

pytestmark = pytest.mark.full  # a JupyterLab server, grading, Chromium
STUDENT = "mallory"
# What the button's answer must tell the instructor to run instead (in the course folder).
GRADE_ONE = f"uv run python tools/grade.py {ASSIGNMENT} --student {STUDENT} --force"
AUTOGRADE_SECONDS = 600  # before the fix, the server graded four notebooks in this one request


def hostile_answers(marker):
    """The reference solution, whose first notebook also writes marker, a file outside the submission."""
    answers = course.reference_answers()
    cell = next(iter(answers["01_adamw"]))
    answers["01_adamw"][cell] += f"\n\nimport pathlib\npathlib.Path({str(marker)!r}).write_text('student code ran')\n"
    return answers


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """A course with the assignment generated, mallory's hostile submission collected, and an earlier
    autograded copy of it (as tools/grade.py leaves one): (root, marker, earlier copy's file)."""
    root = course.copy_course(tmp_path_factory.mktemp("course"))
    course.nbgrader(root, "generate_assignment", ASSIGNMENT)
    marker = tmp_path_factory.mktemp("outside") / "student-code-ran"
    course.hand_in(root, STUDENT, hostile_answers(marker))
    earlier = root / "autograded" / STUDENT / ASSIGNMENT / "graded-earlier.txt"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("what tools/grade.py recorded")
    return root, marker, earlier


@pytest.fixture(scope="module")
def formgrader(graded_course, tmp_path_factory):
    """JupyterLab serving the course as its instructor runs it; yields (base URL, token)."""
    root = graded_course[0]
    home, exchange = tmp_path_factory.mktemp("instructor-home"), tmp_path_factory.mktemp("exchange")
    (home / ".jupyter").mkdir()
    (home / ".jupyter" / "nbgrader_config.py").write_text(f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
    with jupyter_lab(root, home) as server:
        yield server


def press_autograde(base, token, student):
    """POST what the formgrader's Autograde button posts; nbgrader's JSON answer."""
    request = urllib.request.Request(f"{base}/formgrader/api/submission/{ASSIGNMENT}/{student}/autograde", data=b"",
                                     method="POST", headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=AUTOGRADE_SECONDS) as answer:
        return json.loads(answer.read())


def test_the_formgrader_refuses_to_autograde_and_says_how_to_grade(graded_course, formgrader):
    root, marker, earlier = graded_course
    answer = press_autograde(*formgrader, STUDENT)
    assert not marker.exists(), "the formgrader ran the student's code, which wrote a file outside its submission"
    assert answer["success"] is False, f"the formgrader autograded outside the sandbox: {answer.get('log', '')[-2000:]}"
    log = answer.get("log", "")
    assert "would run the student's code with your rights" in log, log
    assert GRADE_ONE in log, f"the refusal must say how to grade this student: {log}"
    assert "SandboxRequired" in answer.get("error", ""), answer.get("error")
    assert STUDENT not in course.scores(root), "the refused autograde recorded the student in the gradebook"
    assert earlier.exists(), "the refused autograde removed the earlier autograded copy (nbgrader's --force)"
    assert sorted(p.name for p in earlier.parent.iterdir()) == [earlier.name], "the refused autograde wrote files"


def submission_in_formgrader(base, token, student):
    """What the formgrader's submissions page shows for a student (its API's answer)."""
    request = urllib.request.Request(f"{base}/formgrader/api/submission/{ASSIGNMENT}/{student}",
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


@pytest.mark.autograde
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="without bubblewrap, tools/grade.py runs student code unconfined")
def test_what_the_refusal_says_to_run_grades_in_the_sandbox_and_the_formgrader_shows_it(graded_course, formgrader):
    """The refusal's advice, followed: tools/grade.py grades the same submission, whose write outside its folder
    fails in the sandbox (its /tmp is private and empty), and the formgrader then lists the student as graded."""
    root, marker, _ = graded_course
    done = subprocess.run([sys.executable, "tools/grade.py", ASSIGNMENT, "--student", STUDENT, "--force", "--jobs", "1"],
                          cwd=root, capture_output=True, text=True, env=course.quiet_env(root / ".home"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert not marker.exists(), "tools/grade.py let the student's code write outside the sandbox"
    shown = submission_in_formgrader(*formgrader, STUDENT)
    assert shown["autograded"] and 0 < shown["score"] <= shown["max_score"], shown


def test_plain_nbgrader_autograde_is_refused_too(graded_course):
    """An instructor who follows nbgrader's own instructions (`nbgrader autograde`) is stopped before any
    kernel starts, and told what to run."""
    root, marker = graded_course[:2]
    done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, f"--student={STUDENT}", "--force"],
                          cwd=root, capture_output=True, text=True, env=course.quiet_env(root / ".home"))
    assert done.returncode != 0, "plain nbgrader autograde ran student code outside the sandbox"
    assert f"uv run python tools/grade.py {ASSIGNMENT} --student {STUDENT} --force" in done.stderr, done.stderr[-3000:]
    assert "--SandboxOnlyExporter.unconfined=True" in done.stderr, done.stderr[-3000:]
    assert not marker.exists(), "the refused autograde ran the student's code"


@pytest.mark.autograde
def test_trusted_notebooks_still_grade_from_the_command_line_with_a_warning(graded_course):
    """The course's own tests grade trusted submissions with plain `nbgrader autograde` and
    --SandboxOnlyExporter.unconfined=True (tools/handin.nbgrader adds it): it runs, and its log says where
    student code belongs. (After the formgrader's test: both use the same course.)"""
    root = graded_course[0]
    course.hand_in(root, "trusted", course.reference_answers())
    done = course.nbgrader(root, "autograde", ASSIGNMENT, "--student=trusted", "--notebook=01_adamw")
    assert "this kernel is not the grading sandbox" in done.stderr, done.stderr[-3000:]
    assert f"uv run python tools/grade.py {ASSIGNMENT}" in done.stderr, done.stderr[-3000:]
    score, max_score = course.total(course.scores(root)["trusted"]["01_adamw"])
    assert max_score > 0 and score == max_score, "the reference lost points under plain nbgrader autograde"


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's Chromium is missing: apt-get install chromium (.ci/run does)")
def test_the_autograde_button_shows_the_refusal(graded_course, formgrader):
    """The instructor's view: the button's error dialog (artifacts/formgrader/autograde_refused.png)."""
    base, token = formgrader
    marker = graded_course[1]
    with browsing.chromium() as browser, browsing.new_page(browser) as page:
        # The token on every request: the page's own API calls are not authenticated by ?token= alone.
        page.context.set_extra_http_headers({"Authorization": f"token {token}"})
        page.goto(f"{base}/formgrader/manage_submissions/{ASSIGNMENT}")
        button = page.locator("tr", has_text=STUDENT).locator(".autograde a")
        try:
            button.wait_for()
        finally:
            browsing.shot(page, "formgrader", "submissions")
        assert not page.errors, page.errors
        button.click()
        dialog = page.locator("#error-modal")
        dialog.wait_for(timeout=AUTOGRADE_SECONDS * 1000)
        dialog.get_by_text(re.compile("would run the student's code with your rights")).first.wait_for()
        page.wait_for_function("() => getComputedStyle(document.querySelector('#error-modal')).opacity === '1'")
        page.wait_for_timeout(500)  # Bootstrap slides the dialog in after fading the page
        browsing.shot(page, "formgrader", "autograde_refused")
        text = dialog.inner_text()
        log = dialog.locator(".panel-warning pre")  # nbgrader's log panel: it does not wrap lines
        overflow = log.evaluate("pre => pre.scrollWidth - pre.clientWidth")
    assert GRADE_ONE in text, text
    assert overflow <= 0, f"the refusal's longest line is cut {overflow} px short at the dialog's edge"
    assert not marker.exists(), "the button ran the student's code"
