"""What students can check before they submit: every mutant is run against the *visible* tests alone
(the notebook as released, with the mutant's code), and at least 80% of each notebook's mutants must
fail one of them; every test cell, hidden part included, fails for code that does nothing.

The same figures are printed by `uv run python tests/cellrun.py --catch` (the README's table).
"""
import pytest

import cellrun
from tools import layout

pytestmark = pytest.mark.autograde  # slow like the autograding proof: a kernel per mutant
NOTEBOOKS = [path.stem for path in layout.notebooks()]
TARGET = 0.8


@pytest.fixture(scope="module")
def report():
    return cellrun.catch_report()


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_visible_tests_catch_most_mutants(report, notebook):
    entry = report[notebook]
    caught, total = len(entry["caught"]), len(entry["caught"]) + len(entry["missed"])
    print(cellrun.catch_table({notebook: entry}))
    assert caught >= TARGET * total, (
        f"{notebook}: visible tests catch {caught} of {total} mutants; not caught: {entry['missed']}")


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_code_that_does_nothing_fails_every_test(notebook):
    results = cellrun.run_in_subprocess(notebook, "--do-nothing")
    passed = sorted(cell for cell, failure in results.items() if failure is None)
    assert not passed, f"{notebook}: test cells passed by code that does nothing: {passed}"


def test_notebook_04_is_graded_on_its_own_code():
    """Notebooks 01-03 left as `pass`, and 01's module killing the kernel when imported: 04 loses nothing but
    item 16, the choice of a peak rate, which is checked against the sweep the student's own classes run."""
    answers = {notebook: cells for notebook, cells in cellrun.do_nothing_answers().items() if notebook != "04_training_loop"}
    answers["01_adamw"] = {"adamw": "#| export\nimport os\nos._exit(1)  # kills whatever imports lib.adamw\n"}
    results = cellrun.run("04_training_loop", answers)
    failed = {cell: failure for cell, failure in results.items() if failure}
    assert set(failed) == {"test_peak_lr_choice"}, f"notebook 04 lost points to notebooks 01-03: {failed}"
