"""A throw-away copy of the nbgrader course, driven through nbgrader's own commands.

The tests generate the release, hand in submissions (the reference solution, mutants, blank
copies...) exactly as a student's folder would look, autograde them, and read the gradebook.
The course's facts come from tools/layout.py and handing in from tools/handin.py; both are
re-exported here (course.ASSIGNMENT, course.hand_in...).
"""
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat

from tools import layout
from tools.handin import (UNCONFINED, copy_course, fill_in, fill_stubs, hand_in,  # noqa: F401  (re-exported)
                          mutate, nbgrader, quiet_env, reference_answers, solution_sources, without_solution_markers)  # noqa: F401

REPO = layout.ROOT
ASSIGNMENT = layout.ASSIGNMENT
SOURCE = layout.source()
RELEASE = layout.release()
SOLUTION_REGION, HIDDEN_REGION = layout.SOLUTION_REGION, layout.HIDDEN_REGION
# Separates the stub bodies of one cell in tests/submissions/ (see test_autograde.answers_in).
NEXT_BODY = "# --- next body ---"


def grade_class(root, *options):
    """Run tools/grade.py on the course at root, as its instructor would (in the sandbox, or --unconfined where
    bubblewrap is missing), two jobs at a time; the finished process."""
    command = [sys.executable, str(Path(root) / "tools" / "grade.py"), ASSIGNMENT, "--jobs", "2", *UNCONFINED, *options]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, env=quiet_env(Path(root) / ".home"))


def hand_in_notebook(root, student, answers, notebook):
    """A submission of one notebook only (the others left out, as a student who handed in part of the lab);
    returns its folder."""
    folder = hand_in(root, student, answers)
    for path in folder.glob("*.ipynb"):
        if path.stem != notebook:
            path.unlink()
    return folder


def region_lines(*regions, min_length):
    """Lines (stripped, at least min_length long) inside the given marker regions (layout.SOLUTION_REGION,
    layout.HIDDEN_REGION) of the source notebooks that occur nowhere outside them: what must never reach a student."""
    patterns = [layout.region(markers) for markers in regions]
    inside, outside = set(), set()
    for path in layout.notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            rest = cell.source
            for pattern in patterns:
                inside.update(line.strip() for match in pattern.finditer(rest) for line in match.group(0).splitlines()[1:-1])
                rest = pattern.sub("", rest)
            outside.update(line.strip() for line in rest.splitlines())
    return {line for line in inside - outside if len(line) >= min_length}


def scores(course):
    """{student: {notebook: {grade_id: (score, max_score)}}} from the course's gradebook."""
    from nbgrader.api import Gradebook  # imported here: it takes seconds, and most users of this module never need it
    result = {}
    with Gradebook(f"sqlite:///{Path(course) / layout.GRADEBOOK}", course_id=layout.COURSE_ID) as gb:
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
    path = Path(course) / layout.AUTOGRADED_FOLDER / student / ASSIGNMENT / f"{notebook}.ipynb"
    found = {}
    for cell in notebook_json(path)["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        for output in cell.get("outputs", []):
            if grade_id and output["output_type"] == "error":
                found[grade_id] = f"{output['ename']}: {output['evalue']}"
    return found
