"""Your notebooks' visible tests, run against lib/ as exported from your saved notebooks.

    pytest        (in the assignment folder)

Every visible test cell becomes one test here, named notebook::cell (a test of a choice you make in a
notebook, such as notebook 04's peak rate, is skipped: run it there); the hidden tests run only at
grading. This reads the saved .ipynb files: save your notebooks (Ctrl-S) first.
"""
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from lib.export import export_assignment

ASSIGNMENT = Path(__file__).resolve().parents[1]
export_assignment(ASSIGNMENT)  # lib/ now holds the code of your saved notebooks

import lib  # noqa: E402  (imported after the export)


def _has_code(source):
    return any(line.strip() and not line.strip().startswith("#") for line in source.splitlines())


def visible_test_cells():
    for notebook in sorted(ASSIGNMENT.glob("*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            nbgrader = cell.get("metadata", {}).get("nbgrader", {})
            source = "".join(cell["source"])
            if nbgrader.get("grade") and not nbgrader.get("solution") and _has_code(source):
                yield pytest.param(notebook.name, source, id=f"{notebook.stem}::{nbgrader['grade_id']}")


NOTEBOOK_ONLY = re.compile(r"^# In the notebook only: (.*)$", re.M)  # a test of a choice made in the notebook


@pytest.mark.parametrize("notebook, source", list(visible_test_cells()))
def test_cell(notebook, source):
    only = NOTEBOOK_ONLY.search(source)
    if only:
        pytest.skip(f"run it in {notebook}: {only.group(1)}")
    namespace = {"np": np, "math": math}
    for name in lib.__all__:  # the public names this cell uses, from your lib/
        if re.search(rf"\b{name}\b", source):
            namespace[name] = getattr(lib, name)
    exec(compile(source, f"{notebook}, test cell", "exec"), namespace)
