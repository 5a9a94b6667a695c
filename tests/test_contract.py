"""The contract is the whole truth: every test cell names the numbered contract items it checks, the
items exist, and every item has a visible test (hidden tests add cases, never a new concept).

Each notebook's contract is the numbered list of the markdown cell whose heading contains
"The contract"; each test cell starts with `# checks: 1, 4` (outside any hidden region).
"""
import re

import nbformat
import pytest

from cellrun import visible_code
from tools import layout

NOTEBOOKS = layout.notebooks()
ITEM = re.compile(r"^(\d+)\.\s", re.M)
CHECKS = re.compile(r"^# checks: (\d+(?:, \d+)*)$")


def contract_items(nb):
    """The item numbers of the notebook's contract, in order."""
    cells = [cell for cell in nb.cells if cell.cell_type == "markdown" and re.search(r"^#+ .*The contract", cell.source, re.M)]
    assert len(cells) == 1, f"expected one markdown cell headed 'The contract', found {len(cells)}"
    return [int(n) for n in ITEM.findall(cells[0].source)]


def graded_cells(nb):
    """[(grade_id, items named, has visible code)] for the test cells of a notebook."""
    found = []
    for cell in nb.cells:
        if layout.cell_kind(cell) == "test":
            match = CHECKS.match(cell.source.splitlines()[0] if cell.source else "")
            items = [int(n) for n in match.group(1).split(", ")] if match else []
            found.append((cell.metadata["nbgrader"]["grade_id"], items, bool(visible_code(cell.source))))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_contract_items_are_numbered_one_to_n(path):
    items = contract_items(nbformat.read(path, as_version=4))
    assert items == list(range(1, len(items) + 1)) and items, f"{path.name}: contract items are {items}, expected 1..n"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_test_cell_names_existing_items(path):
    nb = nbformat.read(path, as_version=4)
    items = set(contract_items(nb))
    for grade_id, named, _ in graded_cells(nb):
        assert named, f"{path.name}: test cell {grade_id} does not start with '# checks: <items>'"
        unknown = sorted(set(named) - items)
        assert not unknown, f"{path.name}: test cell {grade_id} names contract items {unknown}, which do not exist"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_item_has_a_visible_test(path):
    nb = nbformat.read(path, as_version=4)
    seen = {item for _, named, visible in graded_cells(nb) if visible for item in named}
    missing = sorted(set(contract_items(nb)) - seen)
    assert not missing, f"{path.name}: contract items {missing} have no visible test (a hidden test may only add cases)"


def test_the_check_itself_tells_visible_from_hidden():
    source = "# checks: 2\n### BEGIN HIDDEN TESTS\nassert False\n### END HIDDEN TESTS\n"
    assert visible_code(source) == [] and visible_code("# checks: 2\nassert True\n" + source) == ["assert True"]
    assert CHECKS.match("# checks: 1, 12").group(1) == "1, 12" and not CHECKS.match("# checks 1")


AFTER_HIDDEN = re.compile(r"print\(.*\)")  # all that may follow a cell's hidden tests: its closing message


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_hidden_tests_come_last_in_their_cell(path):
    """A student runs a test cell's visible part from its first line to its end; grading runs the same lines and then
    the hidden ones. So a failure below the hidden tests' first line means the visible part passed (what
    test_autograde.py's measure of the visible tests relies on)."""
    for cell in nbformat.read(path, as_version=4).cells:
        if layout.cell_kind(cell) == "test" and layout.HIDDEN_REGION[0] in cell.source:
            regions = layout.region(layout.HIDDEN_REGION).findall(cell.source)
            after = visible_code(cell.source.split(layout.HIDDEN_REGION[1], 1)[1])
            assert len(regions) == 1 and all(AFTER_HIDDEN.fullmatch(line.strip()) for line in after), (
                f"{path.name}: {cell.metadata.nbgrader.grade_id} has {len(regions)} hidden regions, followed by {after}")
