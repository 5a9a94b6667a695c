"""Step 1 of grading a class (tools/grade.py): the course as the grader sees it, and each submission
inspected and staged into a clean folder, fixed where possible.

A notebook that is not valid JSON or is missing scores zero; a renamed one is graded under its proper
name (recognised by its cells); links, caches and files over MAX_FILE_BYTES are left out; the released
lib/ helpers are put back. Every fix is reported as a problem for the instructor.
"""
import fnmatch
import hashlib
import os
import shutil
from pathlib import Path

import nbformat

from tools import layout

MAX_FILE_BYTES = 50 << 20      # a larger file in a submission is left out


class Course:
    """A course folder, seen by the grader: its assignment's notebooks, submissions and grading/ output."""

    def __init__(self, root, assignment):
        self.root, self.assignment = Path(root).resolve(), assignment
        self.source = layout.source(self.root, assignment)
        self.release = layout.release(self.root, assignment)
        self.gradebook = self.root / layout.GRADEBOOK
        self.grading = self.root / "grading"
        self.executed = self.grading / "executed"   # executed/<student>/: graded notebooks and scores
        self.expected = {p.stem: layout.grade_ids(nbformat.read(p, as_version=4))
                         for p in layout.notebooks(self.root, assignment)}

    def submitted(self, student):
        return self.root / layout.SUBMITTED_FOLDER / student / self.assignment

    def submissions(self, pattern="*"):
        """The students with a submission of the assignment whose id matches the glob pattern."""
        base = self.root / layout.SUBMITTED_FOLDER
        return sorted(p.name for p in base.iterdir() if (p / self.assignment).is_dir() and fnmatch.fnmatch(p.name, pattern)) \
            if base.is_dir() else []

    def not_graded(self, notebook, reason):
        """The released notebook, every test failing with `reason`: the student's feedback says why."""
        nb = nbformat.read(self.release / f"{notebook}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code" and layout.cell_kind(cell) == "test":
                cell.outputs = [nbformat.v4.new_output("error", ename="NotGraded", evalue=reason, traceback=[f"NotGraded: {reason}"])]
        return nb


def readable(path):
    """The notebook at path, or None if it cannot be read as one."""
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001  (any failure to parse is the same problem for the instructor)
        return None


def files_of(folder):
    """Regular files below folder (links are not followed or kept), relative path -> path."""
    found = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d)) and d not in ("__pycache__", ".ipynb_checkpoints")]
        for name in files:
            path = Path(root, name)
            if not path.is_symlink():
                found[path.relative_to(folder).as_posix()] = path
    return found


def digest(paths):
    """sha256 over the names and contents of {relative name: path}."""
    h = hashlib.sha256()
    for name, path in sorted(paths.items()):
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def stage(course, student, target):
    """Copy student's submission into target, fixed where possible; return (found, problems):
    found maps each expected notebook to the staged path, or to the reason it cannot be graded."""
    files = files_of(course.submitted(student))
    problems = [] if files else ["the submission folder is empty"]
    for name, path in files.items():
        if name.endswith(".ipynb"):
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(f"{name} is larger than {MAX_FILE_BYTES >> 20} MB and was left out")
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / name)
    found = find_notebooks(course, {n: p for n, p in files.items() if n.endswith(".ipynb") and "/" not in n}, problems)
    for stem, path in found.items():
        if isinstance(path, Path):
            shutil.copyfile(path, target / f"{stem}.ipynb")
            found[stem] = target / f"{stem}.ipynb"
    restore_provided_lib(course, target)
    return found, problems


def find_notebooks(course, notebooks, problems):
    """{expected stem: path, or why it scores zero} from the submitted notebooks; problems appended."""
    found = {}
    for stem in course.expected:
        path = notebooks.pop(f"{stem}.ipynb", None)
        if path is not None and readable(path) is None:
            problems.append(f"{stem}.ipynb is not a readable notebook (not valid JSON?): it scores zero")
            found[stem] = f"{stem}.ipynb was not a readable notebook (not valid JSON?)"
        elif path is not None:
            found[stem] = path
    for name, path in sorted(notebooks.items()):  # unexpected names: a renamed notebook, or a stray copy
        nb = readable(path)
        ids = layout.grade_ids(nb) if nb else set()
        match = next((stem for stem, expected in course.expected.items() if stem not in found and ids & expected), None)
        if match:
            problems.append(f"{name} was graded as {match}.ipynb, whose cells it has")
            found[match] = path
        else:
            problems.append(f"{name} is not a notebook of the assignment: ignored")
    for stem in course.expected:
        if stem not in found:
            problems.append(f"{stem}.ipynb is missing: it scores zero")
            found[stem] = f"{stem}.ipynb was missing from the submission"
    return found


def restore_provided_lib(course, target):
    """Put the released lib/ helpers back (a deleted or edited helper neither costs nor earns points);
    the modules exported from notebooks are rebuilt from the student's notebooks by their set-up cells."""
    for name, path in files_of(course.release / "lib").items():
        destination = target / "lib" / name
        if not layout.generated(path) or not destination.is_file():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)


def provided_copy(course, folder):
    """The released provided modules the tests rely on (checks.py, doubles.py, the lib/ helpers), which
    the kernel sees read-only (GRADING_PROVIDED) and loads before every test: rewriting or shadowing the
    submission's copies gains nothing."""
    for name, path in files_of(course.release).items():
        helper = name.startswith("lib/") and not layout.generated(path)
        if name.endswith(".py") and ("/" not in name or helper):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / name)
