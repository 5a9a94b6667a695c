"""Every number in the text is printed by the code above it.

A decimal number in a notebook's markdown (say "0.26", "3.2α", "1.716 nats") must either be printed
by a code cell above it (the committed outputs, which nbval keeps current) or appear in some code
cell's source, in any notebook of the lab (a hyper-parameter such as 0.999). Section numbers
("section 8.2") are not numbers. A number typed by hand, that no cell computes,
fails here; so does a number that no longer matches after the code changed and the notebooks were
re-executed. Printed values match when they round to the number as written ("0.2601" supports "0.26").
Integers are not checked ("step 17", "3 seeds" are too common to match meaningfully).
"""
import re

import nbformat
import pytest

from tools import layout

NOTEBOOKS = layout.notebooks()
SECTION = re.compile(r"^#+ (\d+\.\d+)", re.M)
DECIMAL = re.compile(r"(?<![\w.^])(\d+\.\d+)(?![\d.]*\d)")


def printed_text(cell):
    """What a code cell showed: streams, results, displays (text/plain only)."""
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def decimals(text):
    return {float(x) for x in DECIMAL.findall(text)}


def supported(number, written, printed, sources):
    """Does some printed value round to the number as written, or does a code cell state it?"""
    places = len(written.split(".")[1])
    return number in sources or any(round(value, places) == number for value in printed)


def code_constants():
    """Every decimal written in a code cell of any notebook of the lab."""
    cells = [c for path in NOTEBOOKS for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    return set().union(*(decimals(c.source) for c in cells))


def unsupported_numbers(nb, sources):
    sections = set(SECTION.findall("\n".join(c.source for c in nb.cells if c.cell_type == "markdown")))
    printed, missing = set(), []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            printed |= decimals(printed_text(cell))
            continue
        for written in DECIMAL.findall(cell.source):
            if written not in sections and not supported(float(written), written, printed, sources):
                missing.append((index, written))
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_decimal_in_the_text_is_printed_above_it_or_set_in_code(path):
    missing = unsupported_numbers(nbformat.read(path, as_version=4), code_constants())
    assert not missing, (f"{path.name}: numbers in markdown that no code cell above prints and no code cell sets "
                         f"(cell index, number): {missing}. Print them in the cell that computes them, or drop them.")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_reference_to_a_brief_students_never_see(path):
    nb = nbformat.read(path, as_version=4)
    assert not [i for i, c in enumerate(nb.cells) if re.search(r"\bbrief\b", c.source, re.I)]
