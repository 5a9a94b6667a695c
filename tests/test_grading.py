"""tools/grade.py, the class grading command, on a class of hostile and broken submissions (tests/hostile.py):
grading finishes, each submission gets what its honest code earns, nobody else is harmed, the course's
files are intact, the instructor gets a clear report, and a second run resumes instead of starting over.
The class is graded with the course outside /tmp; a few attackers again with the course under /tmp.

Full tier (a sandbox per submission).
"""
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import course
from course import ASSIGNMENT, REPO
from hostile import FULL, HOSTILE, HUNT, MARKER, notebook_outputs
from course import reference_answers
from tools.course_guard import Guard
from tools.inspection import Course

pytestmark = [pytest.mark.full, pytest.mark.autograde]
PROTECTED = ("nbgrader_config.py", "tools", "notebooks", "release", "submitted")


def course_files(root):
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for top in PROTECTED for path in sorted((root / top).rglob("*") if (root / top).is_dir() else [root / top])
            if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts}


grade = course.grade_class


def folder_outside_tmp():
    """A new folder where courses usually live (the instructor's home, /var), not under /tmp."""
    for base in (Path.home() / ".cache", Path("/var/tmp")):
        try:
            base.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix="lab03-grading-test-", dir=base)).resolve()
        except OSError:
            continue
        if not folder.is_relative_to("/tmp"):
            return folder
        shutil.rmtree(folder)
    pytest.skip("no writable folder outside /tmp")


def hand_in_class(root, students):
    """The course at root with its release generated and the students' submissions handed in: {student: answers}."""
    course.copy_course(root)
    (root / MARKER).write_text("the escape attempt of tests/hostile.py may attack this course, and only this one\n")
    course.nbgrader(root, "generate_assignment", ASSIGNMENT)
    for student, (answers, damage) in students.items():
        folder = course.hand_in(root, student, answers)
        if damage:
            damage(folder)
    return root


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The hostile class, graded with the course in a folder outside /tmp (where courses live: a home, /var),
    so that a sandbox that merely hid /tmp would show the course to student code. Where the course lives
    changes nothing else (test_a_course_under_tmp_is_hidden_as_well)."""
    base = folder_outside_tmp()
    reference = reference_answers()
    students = {"reference": (reference, None), "blank": ({}, None),
                **{h.student: (h.answers(reference), h.damage) for h in HOSTILE}}
    try:
        root = hand_in_class(base / "course", students)
        before = course_files(root)
        first = grade(root)
        after = course_files(root)
        course.nbgrader(root, "generate_feedback", ASSIGNMENT)
        yield {"root": root, "run": first, "before": before, "after": after, "scores": course.scores(root)}
    finally:
        shutil.rmtree(base, ignore_errors=True)
        escaped = Path(sys.prefix).parent / "HOSTILE_ESCAPE.txt"  # hostile.ESCAPE's first target; written only without bubblewrap
        escaped.unlink(missing_ok=True)


def totals(scores, student):
    return {notebook: course.total(cells)[0] for notebook, cells in scores[student].items()}


def test_grading_finishes_and_records_every_student(graded):
    assert graded["run"].returncode == 0, graded["run"].stderr[-3000:]
    assert set(graded["scores"]) == {"reference", "blank", *(h.student for h in HOSTILE)}


def test_honest_submissions_are_unharmed(graded):
    assert totals(graded["scores"], "reference") == FULL
    assert set(totals(graded["scores"], "blank").values()) == {0}


@pytest.mark.parametrize("hostile", [h for h in HOSTILE if not h.at_most], ids=lambda h: h.student)
def test_each_submission_gets_what_its_honest_code_earns(graded, hostile):
    assert totals(graded["scores"], hostile.student) == hostile.expected(), (
        f"{hostile.student}: see {graded['root']}/autograded/{hostile.student}")


@pytest.mark.parametrize("hostile", [h for h in HOSTILE if h.at_most], ids=lambda h: h.student)
def test_cheating_earns_nothing_beyond_the_same_code_without_the_cheats(graded, hostile):
    cheat, honest = totals(graded["scores"], hostile.student), totals(graded["scores"], hostile.at_most)
    assert all(cheat[nb] <= honest[nb] for nb in honest), f"{hostile.student} {cheat} vs {hostile.at_most} {honest}"


def test_problems_are_reported_to_the_instructor(graded):
    report = (graded["root"] / "grading" / "problems.txt").read_text()
    for hostile in HOSTILE:
        for phrase in hostile.problems:
            assert f"{hostile.student}: " in report and phrase in report, f"problems.txt lacks {phrase!r}:\n{report}"
    graded_notebook = graded["root"] / "autograded" / "hostile_files" / ASSIGNMENT / "02_lr_schedules.ipynb"
    assert "NotGraded: 02_lr_schedules.ipynb was not a readable notebook" in notebook_outputs(graded_notebook)


def test_the_course_files_are_as_they_were(graded):
    changed = sorted(name for name in graded["before"] if graded["before"][name] != graded["after"].get(name))
    assert not changed, f"grading left these course files changed: {changed[:10]}"


def assert_the_escape_failed(root, problems):
    """hostile_escapes' notebook 01 found no course, and wrote nothing that exists on the host (or, without
    bubblewrap, what it changed was restored)."""
    outputs = notebook_outputs(root / "autograded" / "hostile_escapes" / ASSIGNMENT / "01_adamw.ipynb")
    if shutil.which("bwrap"):
        # The course is hidden and the machine read-only. A write may still "succeed" inside the
        # sandbox's private /tmp (where the venv is bound when the checkout lives under /tmp):
        # it lands in a throw-away tmpfs and must not exist out here.
        assert "courses found: 0" in outputs, outputs[:2000]
        attempts = re.findall(r"^(wrote|blocked) (/[^:\n]*)", outputs, re.M)
        assert attempts, outputs[:2000]
        reached = [path for verdict, path in attempts if verdict == "wrote" and Path(path).exists()]
        assert not reached, f"the escape attempt wrote {reached} on the host"
    else:
        assert "restored" in problems, problems


def test_the_escape_attempt_failed_or_was_undone(graded):
    assert_the_escape_failed(graded["root"], (graded["root"] / "grading" / "problems.txt").read_text())


def secret_lines():
    """Lines of the source notebooks' hidden tests and solutions (at least 12 characters, found nowhere else)."""
    return course.region_lines(course.HIDDEN_REGION, course.SOLUTION_REGION, min_length=12)


def lines_of(text):
    return {line.strip() for line in text.splitlines()}


def written_by(root, student):
    """Every line of a student's submitted notebooks: what they may see because they wrote it."""
    written = set()
    for path in (root / "submitted" / student / ASSIGNMENT).glob("*.ipynb"):
        try:
            cells = course.notebook_json(path)["cells"]
        except ValueError:  # hostile_files hands in a notebook that is not JSON
            continue
        for cell in cells:
            source = cell.get("source", "")
            written |= lines_of(source if isinstance(source, str) else "".join(source))
    return written


def feedback_text(root, student):
    pages = sorted((root / "feedback" / student / ASSIGNMENT).glob("*.html"))
    return "\n".join(course.text_of(page.read_text()) for page in pages), len(pages)


def test_the_secret_hunter_finds_the_course_when_nothing_hides_it(capsys):
    """The hunting student's code, run here without a sandbox, finds the course: it would catch a leak."""
    namespace = {}
    exec(HUNT.replace("_hunt()\n", ""), namespace)
    namespace["_hunt"](str(course.SOURCE), seconds=30)
    assert len(secret_lines() & lines_of(capsys.readouterr().out)) > 100


def hunted_secrets(root, secrets):
    """The secret lines that hostile_hunts_secrets' notebook 01 printed, after checking that it searched."""
    hunted = notebook_outputs(root / "autograded" / "hostile_hunts_secrets" / ASSIGNMENT / "01_adamw.ipynb")
    assert re.search(r"hunt: [1-9]\d* files read", hunted), hunted[-2000:]
    return sorted(secrets & lines_of(hunted))


def test_no_hidden_test_or_solution_reaches_a_student(graded):
    """Nothing a student did not write of the hidden tests and solutions is in any student's feedback,
    nor in the outputs of the autograded notebooks of the student who searched the filesystem for them."""
    if not shutil.which("bwrap"):
        pytest.skip("without bubblewrap student code can read the course (grade.py --unconfined says so)")
    root, secrets = graded["root"], secret_lines()
    assert len(secrets) > 200
    for student in graded["scores"]:
        text, pages = feedback_text(root, student)
        leaked = sorted((secrets - written_by(root, student)) & lines_of(text))
        assert pages and not leaked, f"{student}'s feedback ({pages} pages) shows {len(leaked)} secret lines: {leaked[:3]}"
    assert not hunted_secrets(root, secrets)[:3]
    quoted = notebook_outputs(root / "autograded" / "hostile_quotes_tests" / ASSIGNMENT / "01_adamw.ipynb")
    assert secrets & lines_of(quoted), "the quoting attack should have printed hidden tests in the autograded notebook"


def test_a_course_under_tmp_is_hidden_as_well(tmp_path):
    """The sandbox gives student code its own empty /tmp, and mounts the submission's working copy into it when the
    course lives under /tmp (as in a CI checkout): grading works there, and the course stays out of reach. Notebook 01
    of the reference, the secret hunter and the escape attempt, graded with the course under /tmp."""
    if not shutil.which("bwrap"):
        pytest.skip("without bubblewrap student code can read the course (grade.py --unconfined says so)")
    reference = reference_answers()
    attackers = {h.student: h for h in HOSTILE if h.student in ("hostile_hunts_secrets", "hostile_escapes")}
    root = hand_in_class(tmp_path / "course", {})
    assert root.is_relative_to("/tmp")
    for student, answers in {"reference": reference, **{name: h.answers(reference) for name, h in attackers.items()}}.items():
        course.hand_in_notebook(root, student, answers, "01_adamw")  # notebook 01 only: the attacks are there
    before = course_files(root)
    run = grade(root)
    assert run.returncode == 0, run.stderr[-3000:]
    assert course_files(root) == before
    scores = course.scores(root)
    assert totals(scores, "reference")["01_adamw"] == FULL["01_adamw"]
    assert not hunted_secrets(root, secret_lines())[:3]
    assert_the_escape_failed(root, (root / "grading" / "problems.txt").read_text())


def test_a_failure_is_contained_to_its_cells(graded):
    """The kernel died in one test of each notebook of hostile_crashes: later tests still ran and passed."""
    scores = graded["scores"]["hostile_crashes"]
    assert scores["01_adamw"]["test_adamw_state_dict"][0] == 0 and scores["01_adamw"]["test_adamw_bad_input"][0] == 2
    outputs = notebook_outputs(graded["root"] / "autograded" / "hostile_crashes" / ASSIGNMENT / "01_adamw.ipynb")
    assert "KernelDied" in outputs


def test_a_second_run_resumes_and_grades_nothing_again(graded):
    again = grade(graded["root"])
    assert again.returncode == 0 and f"{len(graded['scores'])} already graded, 0 to grade" in again.stderr, again.stderr
    assert course.scores(graded["root"]) == graded["scores"]


def test_changes_to_the_course_are_undone_even_without_containment(tmp_path):
    root = course.copy_course(tmp_path / "course")
    course.nbgrader(root, "generate_assignment", ASSIGNMENT)
    guard = Guard(Course(root, ASSIGNMENT))
    release = root / "release" / ASSIGNMENT / "01_adamw.ipynb"
    original, gradebook = release.read_bytes(), (root / "gradebook.db").read_bytes()
    release.write_text("corrupted")
    (root / "gradebook.db").write_bytes(b"corrupted")
    (root / "notebooks" / ASSIGNMENT / "checks.py").unlink()
    undone = guard.undo_changes()
    assert sorted(undone) == ["gradebook.db", f"notebooks/{ASSIGNMENT}/checks.py", f"release/{ASSIGNMENT}/01_adamw.ipynb"]
    assert release.read_bytes() == original and (root / "gradebook.db").read_bytes() == gradebook
    assert guard.undo_changes() == []


def test_without_bubblewrap_grading_refuses_unless_told_it_may_run_unconfined(tmp_path):
    root = course.copy_course(tmp_path / "course")
    no_bwrap = {**course.quiet_env(tmp_path / "home"), "PATH": str(tmp_path / "empty")}
    refused = subprocess.run([sys.executable, str(root / "tools" / "grade.py"), ASSIGNMENT], cwd=root,
                             capture_output=True, text=True, env=no_bwrap)
    assert refused.returncode != 0 and "--unconfined" in refused.stderr, refused.stderr
    kernel = subprocess.run([sys.executable, str(root / "tools" / "sandbox_kernel.py"), "-f", str(tmp_path / "none.json")],
                            cwd=tmp_path, capture_output=True, text=True, env=no_bwrap)
    assert kernel.returncode != 0 and "bubblewrap is not installed" in kernel.stderr, kernel.stderr


def test_a_submission_without_notebooks_keeps_its_timestamp_for_feedback(tmp_path):
    """nbgrader's release_feedback reads each student's timestamp.txt and submission_secret.txt, and stops
    for everyone at the first one missing: a submission whose notebooks were all left out (links refused by tools/exchange.py,
    say) must still carry it through grading into its feedback."""
    root = course.copy_course(tmp_path / "course")
    course.nbgrader(root, "generate_assignment", ASSIGNMENT)
    folder = root / "submitted" / "mallory" / ASSIGNMENT
    folder.mkdir(parents=True)
    written = {"timestamp.txt": "2026-11-27 10:00:00.000000 UTC", "submission_secret.txt": "0123abcd"}
    for name, text in written.items():
        (folder / name).write_text(text)
    assert grade(root).returncode == 0
    course.nbgrader(root, "generate_feedback", ASSIGNMENT)
    for name, text in written.items():
        assert (root / "feedback" / "mallory" / ASSIGNMENT / name).read_text() == text
