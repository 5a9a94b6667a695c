"""`nbgrader autograde` itself grades the reference solution, the untouched release, code that does
nothing, independent correct solutions and every mutant: full marks, zero, zero in every test cell, full
marks, and lost points in the cells whose messages target each mistake, and in no other cell but
end-to-end ones that name the mistake (one mistake, one concept: tests/mutant_table.py prints the whole
table). The same graded class shows what students can check before they submit: at least 80% of each
notebook's mutants fail a visible test (a test cell that failed above its hidden tests), and notebook 04
is graded on its own code, whatever notebooks 01-03 do.

Full tier (a kernel per graded notebook, about 110 of them, on two cores).
"""
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import cellrun
import course
import mutant_table
from course import reference_answers
from mutants import MUTANTS
from tools import layout

pytestmark = [pytest.mark.full, pytest.mark.autograde]
SUBMISSIONS = Path(__file__).parent / "submissions"
NOTEBOOKS = [path.stem for path in layout.notebooks()]
VISIBLE_CATCH_TARGET = 0.8
# Notebooks 01-03 doing nothing, and notebook 01's module killing the kernel that imports it; notebook 04 the
# reference's. Graded in notebook 04 only, as a mutant of it (students mutant_<nn>_* are graded in notebook nn).
WITHOUT_01_TO_03 = "mutant_04_graded_without_01_to_03"


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


def without_01_to_03():
    """Notebooks 01-03 left as `pass`, 01's module killing whatever imports it, and the reference's notebook 04."""
    answers = {notebook: cells for notebook, cells in cellrun.do_nothing_answers().items() if notebook != "04_training_loop"}
    answers["01_adamw"] = {"adamw": "#| export\nimport os\nos._exit(1)  # kills whatever imports lib.adamw\n"}
    return {**answers, "04_training_loop": reference_answers()["04_training_loop"]}


def submissions():
    """{student: answers}: the reference, the untouched release, code that does nothing, tests/submissions/*,
    every mutant, and notebook 04 without notebooks 01-03."""
    reference = reference_answers()
    found = {"reference": reference, "blank": {}, "do_nothing": cellrun.do_nothing_answers()}
    found.update({folder.name: answers_in(folder) for folder in sorted(SUBMISSIONS.iterdir())})
    for m in MUTANTS:  # the reference with one cell mutated: only that notebook is graded
        found[m.student] = m.answers(reference)
    found[WITHOUT_01_TO_03] = without_01_to_03()
    return found


def graded_notebook(student):
    """The one notebook graded for students mutant_<nn>_*, or None for a whole submission."""
    found = re.match(r"mutant_(\d\d)_", student)
    return next(nb for nb in NOTEBOOKS if nb.startswith(found.group(1))) if found else None


def grade_shard(root, answers):
    """Grade some submissions in a course of their own: every notebook of whole submissions, and one notebook
    of the students mutant_<nn>_* (one autograde call per notebook)."""
    course.copy_course(root)
    course.nbgrader(root, "generate_assignment", course.ASSIGNMENT)
    for student, cells in answers.items():
        course.hand_in(root, student, cells)
    if any(graded_notebook(student) is None for student in answers):
        course.nbgrader(root, "autograde", course.ASSIGNMENT, "--student=[!m]*")
    for notebook in sorted({graded_notebook(student) for student in answers} - {None}):
        course.nbgrader(root, "autograde", course.ASSIGNMENT, f"--notebook={notebook}", f"--student=mutant_{notebook[:2]}_*")
    return root, course.scores(root)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Autograde every submission through nbgrader, in two courses at once (one per core); return
    ({student: course folder}, {student: {notebook: {cell: (score, max)}}})."""
    everything = submissions()
    named = [s for s in everything if graded_notebook(s) is None]
    mutants = [s for s in everything if graded_notebook(s) is not None]
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


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_code_that_does_nothing_fails_every_test(graded, notebook):
    """Every stub body `pass`: every test cell, hidden part included, scores zero."""
    passed = sorted(cell for cell, (score, _) in graded[1]["do_nothing"][notebook].items() if score)
    assert not passed, f"{notebook}: test cells that code doing nothing passes: {passed}"


def test_notebook_04_is_graded_on_its_own_code(graded):
    """Notebooks 01-03 doing nothing, and 01's module killing the kernel that imports it: notebook 04 loses nothing
    (its choice of a peak rate is judged on the course's sweep, and imports none of them)."""
    cells = graded[1][WITHOUT_01_TO_03]["04_training_loop"]
    lost = {cell: pair for cell, pair in cells.items() if pair[0] != pair[1]}
    assert not lost, f"notebook 04 lost points to notebooks 01-03: {lost}"


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


HIDDEN_BEGIN = layout.HIDDEN_REGION[0]
CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failed_in_visible_part(cell):
    """True if this graded test cell failed in the part a student can run: its error was raised by a line above
    its hidden tests (the first `Cell In[..], line N` of the traceback is the cell's own top-level line), or
    it has no hidden tests. A cell's hidden tests come last (tests/test_contract.py), so a failure below them
    means the visible part ran to its end and passed."""
    lines = cell["source"].splitlines()
    hidden = next((i + 1 for i, line in enumerate(lines) if line.strip().startswith(HIDDEN_BEGIN)), None)
    for output in cell.get("outputs", []):
        if output["output_type"] == "error":
            found = CELL_LINE.search(ANSI.sub("", "\n".join(output.get("traceback", []))))
            if hidden is None or (found and int(found.group(1)) < hidden):
                return True
        elif output["output_type"] == "stream" and output["name"] == "stderr" and hidden is None:
            return True
    return False


def caught_by_visible_tests(folder, mutant):
    """Does a visible part of one of the mutant's test cells fail, as it does when the student runs them?"""
    path = Path(folder) / layout.AUTOGRADED_FOLDER / mutant.student / course.ASSIGNMENT / f"{mutant.notebook}.ipynb"
    cells = course.notebook_json(path)["cells"]
    return any(failed_in_visible_part({**cell, "source": "".join(cell["source"])}) for cell in cells
               if layout.cell_kind(cell) == "test")


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_visible_tests_catch_most_mutants(graded, notebook):
    """What students can check before they submit: at least 80% of the notebook's mutants fail a visible test.
    `uv run python tests/cellrun.py --catch` measures the same by running the visible tests alone (the README's table)."""
    folders = graded[0]
    mutants = [m for m in MUTANTS if m.notebook == notebook]
    missed = [m.name for m in mutants if not caught_by_visible_tests(folders[m.student], m)]
    caught = len(mutants) - len(missed)
    print(f"{notebook}: visible tests catch {caught} / {len(mutants)} mutants; points in cells with visible checks "
          "{} / {}".format(*cellrun.visible_points(notebook)))
    assert caught >= VISIBLE_CATCH_TARGET * len(mutants), (
        f"{notebook}: visible tests catch {caught} of {len(mutants)} mutants; not caught: {missed}")
