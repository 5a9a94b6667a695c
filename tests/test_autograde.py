"""`nbgrader autograde` itself grades the reference solution, the untouched release, independent
correct solutions and every mutant: full marks, zero, full marks, and lost points in the cells
whose messages target each mistake.

Slow (a kernel per graded notebook): `pytest -m "not autograde"` skips it.
"""
from pathlib import Path

import pytest

import course
from mutants import MUTANTS

pytestmark = pytest.mark.autograde
SUBMISSIONS = Path(__file__).parent / "submissions"


def reference_answers():
    return {path.stem: course.solution_sources(path) for path in sorted(course.SOURCE.glob("*.ipynb"))}


def answers_in(folder):
    """{notebook: {grade_id: source}} from tests/submissions/<student>/<notebook>/<grade_id>.py."""
    return {nb.name: {cell.stem: cell.read_text(encoding="utf-8") for cell in sorted(nb.glob("*.py"))}
            for nb in sorted(folder.iterdir()) if nb.is_dir()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Hand in every submission, autograde them all through nbgrader, return the gradebook's scores."""
    root = course.copy_course(tmp_path_factory.mktemp("course"))
    course.nbgrader(root, "generate_assignment", course.ASSIGNMENT)
    reference = reference_answers()
    course.hand_in(root, "reference", reference)
    course.hand_in(root, "blank", {})
    for folder in sorted(SUBMISSIONS.iterdir()):
        course.hand_in(root, folder.name, answers_in(folder))
    course.nbgrader(root, "autograde", course.ASSIGNMENT, "--student=[!m]*")
    for notebook in sorted({m.notebook for m in MUTANTS}):
        for m in MUTANTS:
            if m.notebook == notebook:
                course.hand_in(root, m.student, {notebook: {m.cell: course.mutate(reference[notebook][m.cell], m.edits)}})
        course.nbgrader(root, "autograde", course.ASSIGNMENT, f"--notebook={notebook}", f"--student=mutant_{notebook[:2]}_*")
    return root, course.scores(root)


def test_reference_gets_full_marks(graded):
    for notebook, cells in graded[1]["reference"].items():
        lost = {cell: pair for cell, pair in cells.items() if pair[0] != pair[1]}
        assert not lost, f"the reference solution lost points in {notebook}: {lost}"


def test_untouched_release_gets_zero(graded):
    for notebook, cells in graded[1]["blank"].items():
        assert course.total(cells)[0] == 0, f"the untouched release scored in {notebook}: {cells}"


@pytest.mark.parametrize("student", sorted(p.name for p in SUBMISSIONS.iterdir()))
def test_independent_correct_solution_gets_full_marks(graded, student):
    for notebook in answers_in(SUBMISSIONS / student):
        cells = graded[1][student][notebook]
        lost = {cell: pair for cell, pair in cells.items() if pair[0] != pair[1]}
        assert not lost, f"{student}, a correct solution written differently, lost points in {notebook}: {lost}"


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.student)
def test_mutant_loses_points_where_targeted(graded, mutant):
    root, scores = graded
    cells = scores[mutant.student][mutant.notebook]
    score, maximum = course.total(cells)
    assert score < maximum, f"mutant {mutant.name} kept full marks"
    kept = sorted(cell for cell in mutant.must_fail if cells[cell][0] != 0)
    assert not kept, f"mutant {mutant.name} still scored in {kept}; scores: {cells}"
    messages = course.failure_messages(root, mutant.student, mutant.notebook)
    targeted = [messages.get(cell, "") for cell in sorted(mutant.must_fail)]
    assert any(mutant.says in text for text in targeted), (
        f"no failing cell of mutant {mutant.name} says {mutant.says!r}; messages: {messages}")
