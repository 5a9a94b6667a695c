"""`nbgrader autograde` itself grades the reference solution, the untouched release, independent
correct solutions and every mutant: full marks, zero, full marks, and lost points in the cells
whose messages target each mistake, and in no other cell but end-to-end ones that name the mistake
(one mistake, one concept: tests/mutant_table.py prints the whole table).

Slow (a kernel per graded notebook): `pytest -m "not autograde"` skips it.
"""
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import course
import mutant_table
from course import reference_answers
from mutants import MUTANTS

pytestmark = pytest.mark.autograde
SUBMISSIONS = Path(__file__).parent / "submissions"


def answers_in(folder):
    """{notebook: {grade_id: answer}} from tests/submissions/<student>/<notebook>/: <grade_id>.py holds a
    whole cell, <grade_id>.bodies.py the bodies of its stubs, separated by course.NEXT_BODY lines."""
    answers = {}
    for notebook in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(notebook.glob("*.py")):
            text = path.read_text(encoding="utf-8")
            if path.name.endswith(".bodies.py"):
                answers.setdefault(notebook.name, {})[path.name[:-len(".bodies.py")]] = text.split(course.NEXT_BODY)
            else:
                answers.setdefault(notebook.name, {})[path.stem] = text
    return answers


def submissions():
    """{student: answers}: the reference, the untouched release, tests/submissions/*, and every mutant."""
    reference = reference_answers()
    found = {"reference": reference, "blank": {}}
    found.update({folder.name: answers_in(folder) for folder in sorted(SUBMISSIONS.iterdir())})
    for m in MUTANTS:  # the reference with one cell mutated (only that notebook is graded; 04's choice of a peak
        found[m.student] = m.answers(reference)  # rate is checked against a sweep that runs the student's 01-03)
    return found


def grade_shard(root, answers):
    """Grade some submissions in a course of their own: everything for named students, and only the
    mutated notebook for mutants (students mutant_<nn>_*, one autograde call per notebook)."""
    course.copy_course(root)
    course.nbgrader(root, "generate_assignment", course.ASSIGNMENT)
    for student, cells in answers.items():
        course.hand_in(root, student, cells)
    if any(not student.startswith("mutant_") for student in answers):
        course.nbgrader(root, "autograde", course.ASSIGNMENT, "--student=[!m]*")
    for notebook in sorted({m.notebook for m in MUTANTS if m.student in answers}):
        course.nbgrader(root, "autograde", course.ASSIGNMENT, f"--notebook={notebook}", f"--student=mutant_{notebook[:2]}_*")
    return root, course.scores(root)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Autograde every submission through nbgrader, in two courses at once (one per core); return
    ({student: course folder}, {student: {notebook: {cell: (score, max)}}})."""
    everything = submissions()
    named = [s for s in everything if not s.startswith("mutant_")]
    mutants = [s for s in everything if s.startswith("mutant_")]
    shards = [named[::2] + mutants[1::2], named[1::2] + mutants[::2]]  # about equal work on each core
    # Folders made before the threads start: tmp_path_factory creates its base folder lazily and
    # two threads doing it at once each make their own, and one of them then refuses its path.
    roots = [tmp_path_factory.mktemp(f"course{i}") for i in range(len(shards))]
    with ThreadPoolExecutor(len(shards)) as pool:
        results = list(pool.map(lambda i: grade_shard(roots[i], {s: everything[s] for s in shards[i]}),
                                range(len(shards))))
    folders = {student: root for root, scores in results for student in scores}
    return folders, {student: cells for _, scores in results for student, cells in scores.items()}


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
    folders, scores = graded
    cells = scores[mutant.student][mutant.notebook]
    score, maximum = course.total(cells)
    assert score < maximum, f"mutant {mutant.name} kept full marks"
    kept = sorted(cell for cell in mutant.must_fail if cells[cell][0] != 0)
    assert not kept, f"mutant {mutant.name} still scored in {kept}; scores: {cells}"
    messages = course.failure_messages(folders[mutant.student], mutant.student, mutant.notebook)
    targeted = [messages.get(cell, "") for cell in sorted(mutant.must_fail)]
    assert any(mutant.says in text for text in targeted), (
        f"no failing cell of mutant {mutant.name} says {mutant.says!r}; messages: {messages}")


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.student)
def test_mutant_loses_points_only_in_its_concept(graded, mutant):
    """A mistake costs points in its own concept's cells and, beyond them, only in end-to-end cells (a trajectory,
    a whole run) whose message names it: a student is never sent to a concept that is right."""
    folders, scores = graded
    messages = course.failure_messages(folders[mutant.student], mutant.student, mutant.notebook)
    failed = {cell: messages.get(cell, "") for cell, (score, maximum) in scores[mutant.student][mutant.notebook].items()
              if score < maximum}
    stray = mutant_table.stray_cells(mutant, failed)
    assert not stray, (f"mutant {mutant.name} lost points outside its concept {sorted(mutant.must_fail)} in {stray}: "
                       f"{ {cell: failed[cell] for cell in stray} }")
    unnamed = mutant_table.unnamed_end_to_end(mutant, failed)
    assert not unnamed, (f"end-to-end cells {unnamed} failed for mutant {mutant.name} without naming its mistake "
                         f"({mutant.known_as!r}): { {cell: failed[cell] for cell in unnamed} }")
    healed = mutant_table.healed_leaks(mutant, failed)
    assert not healed, f"mutant {mutant.name} no longer fails {healed}: remove them from KNOWN_LEAKS in its mutants_0N.py"
