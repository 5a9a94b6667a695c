"""The quick tier's look at grading: tools/grade.py, as the instructor runs it, grades notebook 03 of the reference
and of one mutant in the bubblewrap sandbox (unconfined where bubblewrap is missing, as grade.py --unconfined
says). The reference gets full marks; the mutant loses the points of its own concept's cells, with its message,
and no others. The full tier grades every mutant (test_autograde.py) and a hostile class (test_grading.py)."""
import course
import mutant_table
from course import ASSIGNMENT
from hostile import FULL
from mutants import MUTANTS

NOTEBOOK = "03_gradient_clipping"
MUTANT = next(m for m in MUTANTS if m.notebook == NOTEBOOK and m.name == "factor_inverted")


def test_the_reference_and_a_mutant_graded_in_the_sandbox(tmp_path):
    root = course.copy_course(tmp_path / "course")
    course.nbgrader(root, "generate_assignment", ASSIGNMENT)
    reference = course.reference_answers()
    for student, answers in (("reference", reference), (MUTANT.student, MUTANT.answers(reference))):
        course.hand_in_notebook(root, student, answers, NOTEBOOK)  # the others are reported missing
    run = course.grade_class(root)
    assert run.returncode == 0 and f"graded 2 students ({MUTANT.student}, reference)" in run.stderr, run.stderr[-3000:]
    scores = course.scores(root)
    assert course.total(scores["reference"][NOTEBOOK]) == (FULL[NOTEBOOK], FULL[NOTEBOOK]), scores["reference"][NOTEBOOK]
    cells = scores[MUTANT.student][NOTEBOOK]
    messages = course.failure_messages(root, MUTANT.student, NOTEBOOK)
    failed = {cell: messages.get(cell, "") for cell, (score, maximum) in cells.items() if score < maximum}
    assert MUTANT.must_fail <= set(failed), f"{MUTANT.name} kept points in {sorted(MUTANT.must_fail - set(failed))}: {cells}"
    assert any(MUTANT.says in failed[cell] for cell in MUTANT.must_fail), failed
    assert not mutant_table.stray_cells(MUTANT, failed), failed
    problems = (root / "grading" / "problems.txt").read_text()
    assert "01_adamw.ipynb is missing" in problems and "03_gradient_clipping.ipynb is missing" not in problems, problems
