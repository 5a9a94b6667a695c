"""Time what students and instructors wait for: executing each source notebook, and autograding one
submission of it (the reference solution) with `nbgrader autograde`.

    uv run python benchmarks/time_grading.py [--repeats 3]

Reports medians; asserts nothing. Autograding includes nbgrader's own start-up (about 3 s of imports).
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import course  # noqa: E402  (the tests' throw-away nbgrader course)


def seconds(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def execute(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    notebooks = sorted(course.SOURCE.glob("*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        root = course.copy_course(Path(tmp) / "course")
        course.nbgrader(root, "generate_assignment", course.ASSIGNMENT)
        course.hand_in(root, "reference", {nb.stem: course.solution_sources(nb) for nb in notebooks})
        print(f"{'notebook':24s} {'execute (s)':>12s} {'autograde one submission (s)':>30s}   median of {repeats}")
        for path in notebooks:
            run = [seconds(lambda: execute(path)) for _ in range(repeats)]
            grade = [seconds(lambda: course.nbgrader(root, "autograde", course.ASSIGNMENT, "--force",
                                                     f"--notebook={path.stem}", "--student=reference"))
                     for _ in range(repeats)]
            print(f"{path.stem:24s} {statistics.median(run):12.1f} {statistics.median(grade):30.1f}")


if __name__ == "__main__":
    main()
