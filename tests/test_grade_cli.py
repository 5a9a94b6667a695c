"""tools/grade.py as the instructor meets it: what a run says it did, what grading/problems.txt says about
untouched, blank and tampered notebooks, a log free of nbgrader's false checksum warnings
(jupyter/nbgrader#1961) that still shows a real one, and a resubmission regraded alone.

A class of two, each student handing in notebook 01 only (the others are reported missing), so that a
grading takes seconds: ada leaves every answer as released but rewrites a test to pass it, bob hands in
the release untouched. Then bob resubmits the reference, as `nbgrader collect --update` brings it in: a
newer timestamp.txt and new notebooks. What tools/inspection.py says of other notebooks (blank, a test
deleted) is checked without grading them.
"""
import hashlib
import re
import shutil

import nbformat
import pytest

import course
from course import ASSIGNMENT
from tools import layout
from tools.inspection import Course, compared_with_release
from tools.record import gradebook
from tools.sandbox import quiet_log

pytestmark = [pytest.mark.full, pytest.mark.autograde]
NOTEBOOK = "01_adamw"
TAMPERED = "test_adamw_in_place"
WARNING = re.compile(r"Attribute 'checksum' for cell (\S+) has changed! \(should be")


def grade(root):
    done = course.grade_class(root)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def hand_in_first_notebook(root, student, answers, timestamp):
    """student's submission as collected: the release with answers written into notebook 01, the other
    notebooks left out, and nbgrader's timestamp.txt; returns the path of notebook 01."""
    folder = root / layout.SUBMITTED_FOLDER / student / ASSIGNMENT
    shutil.rmtree(folder, ignore_errors=True)  # collect --update replaces the folder
    course.hand_in_notebook(root, student, answers, NOTEBOOK)
    (folder / "timestamp.txt").write_text(timestamp)
    return folder / f"{NOTEBOOK}.ipynb"


def edit(path, change):
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def rewrite_test(nb):
    cell(nb, TAMPERED).source = "pass  # my test passes"


def files(folder):
    """{relative path: (modification time, sha256)} of every file below folder."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def gradebook_rows(root):
    """{student: (submission timestamp, {notebook: {grade id: score}})} from the course's gradebook."""
    with gradebook(root / layout.GRADEBOOK) as gb:
        return {s.student_id: (s.timestamp, {nb.name: {g.name: g.score for g in nb.grades} for nb in s.notebooks})
                for s in gb.assignment_submissions(ASSIGNMENT)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = course.copy_course(tmp_path_factory.mktemp("grade_cli") / "course")
    course.nbgrader(root, "generate_assignment", ASSIGNMENT)
    first = "2026-11-27 10:00:00.000000 UTC"
    edit(hand_in_first_notebook(root, "ada", {}, first), rewrite_test)
    hand_in_first_notebook(root, "bob", {}, first)
    run = {"first": grade(root)}
    logs = {p.stem: p.read_text() for p in (root / "grading" / "logs").glob("*.log")}
    problems = (root / "grading" / "problems.txt").read_text()
    before = {"executed": {s: files(root / "grading" / "executed" / s) for s in ("ada", "bob")},
              "autograded": {s: files(root / layout.AUTOGRADED_FOLDER / s) for s in ("ada", "bob")},
              "gradebook": gradebook_rows(root)}
    hand_in_first_notebook(root, "bob", {NOTEBOOK: course.reference_answers()[NOTEBOOK]}, "2026-11-28 09:00:00.000000 UTC")
    run["resubmitted"] = grade(root)
    run["again"] = grade(root)
    return {"root": root, "run": run, "logs": logs, "problems": problems, "before": before}


def test_each_run_says_whom_it_graded_and_whom_it_skipped(graded):
    run = graded["run"]
    assert "graded 2 students (ada, bob)\n" in run["first"], run["first"]
    assert "graded 1 student (bob); 1 unchanged since last recorded (ada)\n" in run["resubmitted"], run["resubmitted"]
    assert "graded no students; 2 unchanged since last recorded (ada, bob)\n" in run["again"], run["again"]
    assert "the class (2 students): grading/grades.csv" in run["again"]


def test_a_resubmission_is_graded_again_and_nobody_else(graded):
    root, before = graded["root"], graded["before"]
    after = gradebook_rows(root)
    assert files(root / "grading" / "executed" / "ada") == before["executed"]["ada"], "ada was graded again"
    assert files(root / layout.AUTOGRADED_FOLDER / "ada") == before["autograded"]["ada"], "ada was recorded again"
    assert after["ada"] == before["gradebook"]["ada"]
    (first, first_scores), (second, second_scores) = before["gradebook"]["bob"], after["bob"]
    assert (str(first), str(second)) == ("2026-11-27 10:00:00", "2026-11-28 09:00:00"), "bob's new submission time"
    assert sum(first_scores[NOTEBOOK].values()) == 0 < sum(second_scores[NOTEBOOK].values()), "bob was not graded again"
    problems = (root / "grading" / "problems.txt").read_text()
    assert "bob: 01_adamw.ipynb is unchanged" not in problems and "ada: 01_adamw.ipynb is blank" in problems, problems


def test_untouched_and_blank_notebooks_are_reported(graded):
    problems = graded["problems"]
    assert "bob: 01_adamw.ipynb is unchanged from the release (nothing to grade)\n" in problems, problems
    assert "ada: 01_adamw.ipynb is blank: every answer cell is as released" in problems, problems
    assert not re.search(r"^bob: .*read-only", problems, re.M), "untouched read-only cells were reported as changed"


def test_untouched_cells_give_no_checksum_warning_and_a_tampered_test_is_still_reported(graded):
    logs = graded["logs"]
    assert logs["bob"].startswith("[tools/sandbox.py] ") and "left out" in logs["bob"].splitlines()[0]
    assert WARNING.findall(logs["bob"]) == []
    assert WARNING.findall(logs["ada"]) == [TAMPERED], "the changed test's warning must stay, and only it"
    problems = graded["problems"]
    assert f"ada: 01_adamw.ipynb: read-only cells were changed, and graded as released: {TAMPERED}\n" in problems, problems
    timestamp, scores = graded["before"]["gradebook"]["ada"]
    assert scores[NOTEBOOK][TAMPERED] == 0, "the test was graded as the student rewrote it, not as released"


def test_a_warning_counts_only_for_the_notebook_it_was_logged_in(graded):
    """Every notebook has a read-only `setup` cell: a warning is matched against the right notebook's release."""
    released = Course(graded["root"], ASSIGNMENT).read_only_checksums
    first, second = released["01_adamw"]["setup"], released["02_lr_schedules"]["setup"]
    assert first != second
    log = "".join(f"[AutogradeApp | INFO] Sanitizing /box/submitted/x/{ASSIGNMENT}/{stem}.ipynb\n"
                  f"[AutogradeApp | WARNING] Attribute 'checksum' for cell setup has changed! (should be: 0, got: {got})\n"
                  for stem, got in (("01_adamw", first), ("02_lr_schedules", first)))
    assert WARNING.findall(quiet_log(log, released)) == ["setup"]
    assert "02_lr_schedules" in quiet_log(log, released).splitlines()[-2]


def compared(graded, tmp_path, *changes):
    """What tools/inspection.py reports of notebook 01 as released, then changed by each of changes."""
    target = tmp_path / f"{NOTEBOOK}.ipynb"
    shutil.copyfile(graded["root"] / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", target)
    for change in changes:
        edit(target, change)
    return compared_with_release(Course(graded["root"], ASSIGNMENT), {NOTEBOOK: target})


def cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_notes_without_answers_are_blank_and_changed_or_deleted_tests_are_reported(graded, tmp_path):
    unchanged = "01_adamw.ipynb is unchanged from the release (nothing to grade)"
    blank = "01_adamw.ipynb is blank: every answer cell is as released (nothing to grade, though other cells were edited)"
    changed = f"01_adamw.ipynb: read-only cells were changed, and graded as released: {TAMPERED}"
    deleted = (f"01_adamw.ipynb: read-only cells were deleted or lost their nbgrader metadata (test cells are put back "
               f"and graded): {TAMPERED}")
    answered = course.reference_answers()[NOTEBOOK]["adamw"]

    def add_notes(nb):
        nb.cells.append(nbformat.v4.new_markdown_cell("My notes"))

    def worth_more(nb):  # the sources as released, a test's points changed
        cell(nb, TAMPERED).metadata.nbgrader["points"] = 100

    assert compared(graded, tmp_path, add_notes) == [blank]
    assert compared(graded, tmp_path, lambda nb: nb.cells.remove(cell(nb, TAMPERED))) == [blank, deleted]
    assert compared(graded, tmp_path, worth_more) == [unchanged, changed]
    assert compared(graded, tmp_path, lambda nb: setattr(cell(nb, "adamw"), "source", answered)) == []
