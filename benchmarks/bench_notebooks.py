"""Benchmark: what students and instructors wait for. Executing each source notebook (as nbval
does), and autograding one whole submission of the lab (the reference) with `nbgrader autograde`.

    uv run python benchmarks/run.py --only notebooks

Autograding goes through nbgrader_config.py, as an instructor's run does: GuardedExecute skips the
demonstration cells, and NBGRADER_EXECUTION shortens notebook 04's training; it includes nbgrader's
own start-up (about 3 s of imports).
"""
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from timing import section
from tools import handin, layout


def seconds(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def execute(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()


def run(tiny=False, repeats=3):
    notebooks = layout.notebooks()[:1] if tiny else layout.notebooks()
    repeats = 1 if tiny else repeats
    rows = [{"name": f"execute {path.stem}",
             "seconds": statistics.median(seconds(lambda: execute(path)) for _ in range(repeats))}
            for path in notebooks]
    with tempfile.TemporaryDirectory() as tmp:
        root = handin.copy_course(Path(tmp) / "course")
        handin.nbgrader(root, "generate_assignment", layout.ASSIGNMENT)
        handin.hand_in(root, "reference", {nb.stem: handin.solution_sources(nb) for nb in notebooks})
        only = ["--notebook=" + notebooks[0].stem] if tiny else []
        grade = statistics.median(
            seconds(lambda: handin.nbgrader(root, "autograde", layout.ASSIGNMENT, "--force", "--student=reference", *only))
            for _ in range(repeats))
    rows.append({"name": f"autograde one submission ({len(notebooks)} notebooks)", "seconds": grade})
    return section(f"notebooks (median of {repeats})", rows,
                   [{"name": "whole-lab autograde, seconds", "limit": 60.0, "value": grade}] if not tiny else [])
