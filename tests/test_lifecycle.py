"""The whole course lifecycle through nbgrader's own commands and its local file exchange.

The instructor generates and releases the lab; each simulated student (a home folder of their own, and
their student id given to the exchange commands, since one OS user plays every part) fetches it, does the work, validates it, and submits; the instructor collects, grades
the class with tools/grade.py, generates and releases feedback; each student fetches their feedback;
the grades are exported to CSV. These are the README's instructor commands.

    uv run pytest -m lifecycle        # this test alone
"""
import csv
import subprocess
import sys

import pytest

import course
from tools import layout
from course import ASSIGNMENT, reference_answers
from hostile import FULL
from mutants import MUTANTS

pytestmark = [pytest.mark.lifecycle, pytest.mark.autograde]
MUTANT = next(m for m in MUTANTS if m.name == "no_bias_correction")


def hidden_test_lines():
    """Lines of the hidden-test regions of the source notebooks that occur nowhere else in them."""
    return course.region_lines(course.HIDDEN_REGION, min_length=12)


def do_the_work(folder, answers, signature):
    """Fill in the notebooks as a student would, signing the AdamW cell, and export lib/."""
    signed = {**answers, "01_adamw": {**answers["01_adamw"]}}
    signed["01_adamw"]["adamw"] = answers["01_adamw"]["adamw"] + f"\n# {signature}"
    course.fill_in(folder, signed)


def test_release_fetch_submit_collect_grade_feedback_export(tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    root = course.copy_course(tmp_path / "course")
    config = root / "nbgrader_config.py"
    # One OS user submits for every student: the folders are all theirs (tools/exchange.py's owner check).
    config.write_text(config.read_text() + f"\nc.Exchange.root = {str(exchange)!r}\nc.ExchangeCollect.check_owner = False\n")
    instructor = tmp_path / "home-instructor"
    course.nbgrader(root, "generate_assignment", ASSIGNMENT, home=instructor)
    course.nbgrader(root, "release_assignment", ASSIGNMENT, home=instructor)

    reference = reference_answers()
    students = {"ada": reference, "bob": MUTANT.answers(reference)}
    for student, answers in students.items():
        home, work = tmp_path / f"home-{student}", tmp_path / f"work-{student}"
        (home / ".jupyter").mkdir(parents=True)
        work.mkdir()
        (home / ".jupyter" / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = 'lab03'\n")
        course.nbgrader(work, "fetch_assignment", ASSIGNMENT, home=home)
        do_the_work(work / ASSIGNMENT, answers, signature=f"written by {student}")
        # nbgrader validate exits 0 whether or not tests fail: its verdict is in what it prints
        validated = course.nbgrader(work / ASSIGNMENT, "validate", "01_adamw.ipynb", home=home)
        assert ("VALIDATION FAILED" in validated.stdout) == (student == "bob"), validated.stdout
        course.nbgrader(work, "submit", ASSIGNMENT, f"--student={student}", home=home)  # one OS user plays every student

    course.nbgrader(root, "collect", ASSIGNMENT, home=instructor)
    graded = subprocess.run([sys.executable, "tools/grade.py", ASSIGNMENT, *course.UNCONFINED], cwd=root, capture_output=True, text=True,
                            env=course.quiet_env(instructor))
    assert graded.returncode == 0, graded.stderr[-3000:]
    course.nbgrader(root, "generate_feedback", ASSIGNMENT, home=instructor)
    course.nbgrader(root, "release_feedback", ASSIGNMENT, home=instructor)
    course.nbgrader(root, "export", "--to", "grades.csv", home=instructor)

    scores = {student: sum(course.total(cells)[0] for cells in notebooks.values())
              for student, notebooks in course.scores(root).items()}
    full = sum(FULL.values())
    assert scores == {"ada": full, "bob": full - FULL["01_adamw"] + 1}, scores  # the mutant keeps 1 point of notebook 01
    with open(root / "grades.csv") as file:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(file)}
    assert exported == scores

    hidden = hidden_test_lines()
    assert len(hidden) > 100, "the hidden-test lines should be found"
    for student in students:
        home, work = tmp_path / f"home-{student}", tmp_path / f"work-{student}"
        course.nbgrader(work, "fetch_feedback", ASSIGNMENT, f"--student={student}", home=home)
        pages = sorted((work / ASSIGNMENT / "feedback").rglob("*.html"))
        assert sorted(p.stem for p in pages) == [p.stem for p in layout.notebooks()], pages
        text = "\n".join(course.text_of(page.read_text()) for page in pages)
        other = next(s for s in students if s != student)
        assert f"written by {student}" in text and f"written by {other}" not in text, "feedback must be the student's own"
        shown = sorted(hidden & {line.strip() for line in text.splitlines()})
        assert not shown, f"{student}'s feedback shows hidden-test code: {shown[:3]}"
        if student == "bob":
            assert MUTANT.says in text, "the feedback must show the failing test's message"
