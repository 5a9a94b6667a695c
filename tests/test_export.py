"""lib/ is exactly what the source notebooks export, and the exporter does what lib/export.py says."""
import json
import subprocess
import sys

import pytest

import lib
from course import RELEASE, REPO
from lib.export import HEADER, export_assignment, render
from tools import layout

LIB = REPO / "lib"


def test_lib_is_exactly_what_the_notebooks_export():
    exported = {}
    for notebook in layout.notebooks():
        module, text = render(notebook, LIB)
        exported[module] = notebook.name
        on_disk = (LIB / f"{module}.py").read_text(encoding="utf-8")
        assert on_disk == text, f"lib/{module}.py differs from {notebook.name}: run `uv run python tools/build.py`"
    generated = {p.stem for p in LIB.glob("*.py") if layout.generated(p)}
    assert generated == set(exported), f"lib/ has generated modules that no notebook exports: {generated - set(exported)}"


def test_public_api_is_importable_from_the_top():
    from lib import AdamW, LRScheduler, clip_gradients, global_grad_norm  # noqa: F401

    assert set(lib.__all__) >= {"AdamW", "LRScheduler", "global_grad_norm", "clip_gradients"}
    for name in lib.__all__:
        assert callable(getattr(lib, name))
    with pytest.raises(AttributeError, match="public names"):
        lib.NoSuchThing  # noqa: B018


def write_notebook(path, cells):
    path.write_text(json.dumps({"cells": [{"cell_type": kind, "metadata": {}, "source": source}
                                          for kind, source in cells], "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")


def test_export_keeps_export_cells_in_order_without_directives_or_solution_markers(tmp_path):
    (tmp_path / "lib").mkdir()
    write_notebook(tmp_path / "01_demo.ipynb", [
        ("code", "#| default_exp demo\nimport os"),
        ("markdown", "#| export\nnot code"),
        ("code", "#| export\nimport numpy as np"),
        ("code", "x = 1  # not exported"),
        ("code", "#| export\ndef f():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION"),
    ])
    assert export_assignment(tmp_path, tmp_path / "lib") == ["demo"]
    text = (tmp_path / "lib" / "demo.py").read_text()
    assert text == HEADER.format(notebook="01_demo.ipynb") + "\nimport numpy as np\n\n\ndef f():\n    return 2\n"


def test_export_needs_a_module_name(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", [("code", "#| export\nx = 1")])
    with pytest.raises(ValueError, match="default_exp"):
        export_assignment(tmp_path, tmp_path)


def test_export_rewrites_only_what_changed_and_forgets_the_stale_module(tmp_path):
    (tmp_path / "lib").mkdir()
    write_notebook(tmp_path / "nb.ipynb", [("code", "#| default_exp demo"), ("code", "#| export\nx = 1")])
    assert export_assignment(tmp_path, tmp_path / "lib") == ["demo"]
    assert export_assignment(tmp_path, tmp_path / "lib") == []
    sys.modules["lib.demo"] = "stale"
    write_notebook(tmp_path / "nb.ipynb", [("code", "#| default_exp demo"), ("code", "#| export\nx = 2")])
    assert export_assignment(tmp_path, tmp_path / "lib") == ["demo"]
    assert "lib.demo" not in sys.modules, "a rewritten module must be re-imported on next use"


def test_a_broken_module_can_always_be_rebuilt(tmp_path):
    kit = tmp_path / "kit"
    subprocess.run(["cp", "-r", str(RELEASE), str(kit)], check=True)
    (kit / "lib" / "adamw.py").write_text("def broken(:\n")
    rebuilt = subprocess.run([sys.executable, "-m", "lib.export"], cwd=kit, capture_output=True, text=True)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "adamw" in rebuilt.stdout
    check = subprocess.run([sys.executable, "-c", "from lib import AdamW"], cwd=kit, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
