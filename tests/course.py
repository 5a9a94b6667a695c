"""A throw-away copy of the nbgrader course, driven through nbgrader's own commands.

The tests generate the release, hand in submissions (the reference solution, mutants, blank
copies...) exactly as a student's folder would look, autograde them, and read the gradebook.
"""
import html
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "lab03_training_loop"
SOURCE = REPO / "notebooks" / ASSIGNMENT
COURSE_FILES = ("nbgrader_config.py", "tools", "lib", "notebooks")
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
# Without bubblewrap, tools/grade.py refuses to run student code unless told to accept that it can read the course.
UNCONFINED = () if shutil.which("bwrap") else ("--unconfined",)
_IGNORE = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", ".pytest_cache")


def copy_course(dest):
    """Copy the course's nbgrader files into dest (links kept as links); return dest."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        source = REPO / name
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
    return the finished process (raises on failure)."""
    home = Path(home or Path(folder) / ".home")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=folder, env=quiet_env(home),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({result.returncode}) with HOME={home.name}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def without_solution_markers(source):
    """A solution cell's source without its ### BEGIN/END SOLUTION lines: what the reference student wrote."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def solution_sources(notebook_path):
    """{grade_id: source} of the solution cells of a source notebook, markers removed."""
    nb = nbformat.read(notebook_path, as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: without_solution_markers(cell.source)
            for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("solution")}


SOLUTION_REGION = {"BEGIN SOLUTION": "END SOLUTION"}
HIDDEN_REGION = {"BEGIN HIDDEN TESTS": "END HIDDEN TESTS"}


def region_lines(regions, min_length):
    """Lines (stripped, at least min_length long) inside the given {begin: end} marker regions of the
    source notebooks that occur nowhere outside them: what must never reach a student."""
    inside, outside = set(), set()
    for path in SOURCE.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            end = None
            for line in cell.source.splitlines():
                text = line.strip()
                begin = next((b for b in regions if b in text), None)
                if begin or (end and end in text):
                    end = regions[begin] if begin else None
                    continue
                (inside if end else outside).add(text)
    return {line for line in inside - outside if len(line) >= min_length}


def mutate(source, edits):
    """Apply (old, new) text edits to a solution; each old text must occur exactly once."""
    for old, new in edits:
        if source.count(old) != 1:
            raise AssertionError(f"mutant edit no longer matches the reference exactly once: {old!r}")
        source = source.replace(old, new)
    return source


STUB = re.compile(r"^( *)# YOUR CODE HERE\n\1raise NotImplementedError\(\)$", re.MULTILINE)
NEXT_BODY = "# --- next body ---"


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
    """Put a submission in course/submitted/<student>/, as a student's folder would be.

    answers: {notebook stem: {grade_id: new cell source, or a list of bodies for its stubs}}; other
    cells stay as released. Like a student, the submission re-exports lib/ from its notebooks.
    """
    course = Path(course)
    folder = course / "submitted" / student / ASSIGNMENT
    shutil.copytree(course / "release" / ASSIGNMENT, folder, ignore=_IGNORE)
    return fill_in(folder, answers)


def fill_in(folder, answers):
    """Write answers (as for hand_in) into the notebooks of a student's folder, then export its lib/."""
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


def scores(course):
    """{student: {notebook: {grade_id: (score, max_score)}}} from the course's gradebook."""
    from nbgrader.api import Gradebook  # imported here: it takes seconds, and most users of this module never need it
    result = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}", course_id="lab03") as gb:
        for student in gb.students:
            submission = gb.find_submission(ASSIGNMENT, student.id)
            result[student.id] = {
                nb.name: {grade.name: (grade.score, grade.max_score) for grade in nb.grades if grade.max_score}
                for nb in submission.notebooks
            }
    return result


def total(notebook_scores):
    """(score, max_score) summed over the test cells of one notebook's scores."""
    return tuple(sum(pair[i] for pair in notebook_scores.values()) for i in (0, 1))


def text_of(page):
    """The visible text of an HTML page (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def notebook_json(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def failure_messages(course, student, notebook):
    """{grade_id: error text} of the failed test cells in a student's autograded notebook."""
    path = Path(course) / "autograded" / student / ASSIGNMENT / f"{notebook}.ipynb"
    found = {}
    for cell in notebook_json(path)["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        for output in cell.get("outputs", []):
            if grade_id and output["output_type"] == "error":
                found[grade_id] = f"{output['ename']}: {output['evalue']}"
    return found
