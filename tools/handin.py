"""Hand in a submission as a student would: the instructor's dry run of grading, and how the tests and
benchmarks make a class.

    uv run python tools/handin.py STUDENT            # the reference solution, handed in as STUDENT
    uv run python tools/handin.py STUDENT --blank    # the untouched release
    uv run python tools/grade.py lab03_training_loop --student STUDENT    # then grade it

writes submitted/STUDENT/lab03_training_loop/ in this course, as a student's folder looks once collected:
the release's files with the answers written into its notebooks and lib/ exported from them. The
release must exist (`uv run python tools/build.py`).

Answers are {notebook stem: {grade_id: answer}}, an answer being a student cell's whole new source, or a
list of bodies for the `# YOUR CODE HERE` stubs of its released version; other cells stay as released.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the course root, when run as a script
from tools import layout  # noqa: E402

_IGNORE = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", ".pytest_cache")
# Options for tools/grade.py: without bubblewrap it refuses to run student code unless told to accept
# that the code can read the course (fine for a dry run on the instructor's own submissions).
UNCONFINED = () if shutil.which("bwrap") else ("--unconfined",)
# nbgrader's stub for a solution region, as it stands in a released cell.
STUB = re.compile(r"^( *)# YOUR CODE HERE\n\1raise NotImplementedError\(\)$", re.MULTILINE)


def copy_course(dest, course=layout.ROOT):
    """Copy a course's own files (layout.COURSE_FILES; links kept as links) into dest; return dest."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in layout.COURSE_FILES:
        source = Path(course) / name
        if source.is_dir():
            shutil.copytree(source, dest / name, symlinks=True, ignore=_IGNORE)
        else:
            shutil.copy(source, dest / name)
    return dest


def quiet_env(home):
    """Environment for a child process with its own Jupyter config and data dirs (nothing of the user's)."""
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        env.pop(var, None)
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(Path(home) / ".jupyter"), PYTHONDONTWRITEBYTECODE="1")
    Path(home).mkdir(parents=True, exist_ok=True)
    return env


def nbgrader(folder, *args, home=None):
    """Run `nbgrader *args` in folder as the user whose home is home (default: folder/.home);
    return the finished process (raises AssertionError on failure)."""
    home = Path(home or Path(folder) / ".home")
    if args[:1] == ("autograde",):  # the course's own submissions (reference, mutants...): trusted, no sandbox
        args = (*args, "--SandboxOnlyExporter.unconfined=True")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=folder, env=quiet_env(home),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({result.returncode}) with HOME={home.name}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def without_solution_markers(source):
    """A solution cell's source without its solution marker lines: what the reference student wrote."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in layout.SOLUTION_REGION)


def solution_sources(notebook_path):
    """{grade_id: source} of the student cells of a source notebook, markers removed."""
    nb = nbformat.read(notebook_path, as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: without_solution_markers(cell.source)
            for cell in nb.cells if layout.cell_kind(cell) == "student"}


def reference_answers(course=layout.ROOT):
    """The reference's answers of every notebook of a course: {notebook stem: {grade_id: source}}."""
    return {path.stem: solution_sources(path) for path in layout.notebooks(course)}


def mutate(source, edits):
    """Apply (old, new) text edits to a solution; each old text must occur exactly once."""
    for old, new in edits:
        if source.count(old) != 1:
            raise AssertionError(f"edit no longer matches the reference exactly once: {old!r}")
        source = source.replace(old, new)
    return source


def fill_stubs(released, bodies):
    """Replace the `# YOUR CODE HERE` stubs of a released cell, in order, by bodies (indented to fit)."""
    stubs = list(STUB.finditer(released))
    if len(stubs) != len(bodies):
        raise AssertionError(f"{len(bodies)} bodies for a cell with {len(stubs)} stubs")
    for stub, body in reversed(list(zip(stubs, bodies))):
        indented = textwrap.indent(body.strip("\n"), stub.group(1))
        released = released[:stub.start()] + indented + released[stub.end():]
    return released


def hand_in(course, student, answers):
    """Put a submission in course/submitted/<student>/<assignment>/, as a student's folder would be, and
    return that folder. Like a student, the submission re-exports lib/ from its notebooks."""
    folder = Path(course) / layout.SUBMITTED_FOLDER / student / layout.ASSIGNMENT
    shutil.copytree(layout.release(course), folder, ignore=_IGNORE)
    return fill_in(folder, answers)


def fill_in(folder, answers):
    """Write answers into the notebooks of a student's folder, then export its lib/; return folder."""
    folder = Path(folder)
    for stem, cells in answers.items():
        path = folder / f"{stem}.ipynb"
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in cells:
                answer = cells[grade_id]
                cell.source = fill_stubs(cell.source, answer) if isinstance(answer, list) else answer
        nbformat.write(nb, path)
    subprocess.run([sys.executable, "-m", "lib.export"], cwd=folder, check=True, capture_output=True)
    return folder


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("student", help="the student id to hand in as")
    parser.add_argument("--blank", action="store_true", help="hand in the untouched release instead of the reference")
    parser.add_argument("--force", action="store_true", help="replace the student's submission if there is one")
    args = parser.parse_args()
    if not layout.release().is_dir():
        sys.exit(f"no {layout.release().relative_to(layout.ROOT)}: run `uv run python tools/build.py` first")
    folder = layout.ROOT / layout.SUBMITTED_FOLDER / args.student / layout.ASSIGNMENT
    if folder.exists():
        if not args.force:
            sys.exit(f"{folder.relative_to(layout.ROOT)} exists: --force replaces it")
        shutil.rmtree(folder)
    hand_in(layout.ROOT, args.student, {} if args.blank else reference_answers())
    print(f"handed in {'the untouched release' if args.blank else 'the reference'} as {folder.relative_to(layout.ROOT)}\n"
          f"grade it: uv run python tools/grade.py {layout.ASSIGNMENT} --student {args.student}")


if __name__ == "__main__":
    main()
