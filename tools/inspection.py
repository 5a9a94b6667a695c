"""Step 1 of grading a class (tools/grade.py): the course as the grader sees it, and each submission
inspected and staged into a clean folder, fixed where possible.

A notebook that is not valid JSON or is missing scores zero; a renamed one is graded under its proper
name (recognised by its cells); links, caches and files over MAX_FILE_BYTES are left out; the released
lib/ helpers are put back. Every fix is reported as a problem for the instructor, and so is a notebook
handed in unchanged from the release or blank (no answer written), and a read-only cell (a test, the
set-up) the student changed or deleted: nbgrader grades the instructor's version of it instead.
"""
import fnmatch
import hashlib
import os
import shutil
from functools import cached_property
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

    @cached_property
    def released(self):
        """{notebook stem: the notebook as released}: what every student started from."""
        paths = {stem: self.release / f"{stem}.ipynb" for stem in self.expected}
        return {stem: nbformat.read(path, as_version=4) for stem, path in paths.items() if path.is_file()}

    @cached_property
    def read_only_checksums(self):
        """{notebook stem: {grade id: checksum}} of the released read-only cells (tests, set-up), computed as
        nbgrader computes them. nbgrader's gradebook holds other checksums for the cells with hidden tests
        (computed before the hidden tests were cleared from the release), so an untouched cell only matches these."""
        return {stem: {cell.metadata.nbgrader["grade_id"]: checksum(cell) for cell in nb.cells if is_locked(cell)}
                for stem, nb in self.released.items()}

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


def is_locked(cell):
    """Whether nbgrader treats the cell as read-only (a test, or a locked cell) and grades its released version."""
    from nbgrader.utils import is_locked as nbgrader_is_locked  # imported here: nbgrader takes a second to import

    return "grade_id" in cell.get("metadata", {}).get("nbgrader", {}) and nbgrader_is_locked(cell)


def checksum(cell):
    """nbgrader's checksum of a cell (its source, type, points and nbgrader flags); None if its metadata is broken."""
    from nbgrader.utils import compute_checksum

    try:
        return compute_checksum(cell)
    except (KeyError, TypeError, ValueError, AttributeError):
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
    problems.extend(compared_with_release(course, {stem: path for stem, path in found.items() if isinstance(path, Path)}))
    for stem, path in found.items():
        if isinstance(path, Path):
            shutil.copyfile(path, target / f"{stem}.ipynb")
            found[stem] = target / f"{stem}.ipynb"
    restore_provided_lib(course, target)
    return found, problems


def compared_with_release(course, notebooks):
    """Problems seen by comparing each submitted notebook ({stem: path}) with its release: handed in
    unchanged (nothing to grade), blank (every answer cell as released, other cells edited), or with
    read-only cells changed or deleted (nbgrader grades the released version instead: a student who edits a
    test to pass it, or a read-only cell by mistake, is not rewarded, and the instructor should know)."""
    verdicts, problems = {"unchanged": [], "blank": []}, []
    for stem, path in notebooks.items():
        try:
            verdict, changed, deleted = compared(readable(path), course.released[stem], course.read_only_checksums[stem])
        except Exception as error:  # noqa: BLE001  (a malformed notebook is graded all the same)
            problems.append(f"{stem}.ipynb could not be compared with the release ({type(error).__name__}: {error})")
            continue
        verdicts.get(verdict, []).append(f"{stem}.ipynb")
        if changed:
            problems.append(f"{stem}.ipynb: read-only cells were changed, and graded as released: {', '.join(changed)}")
        if deleted:
            problems.append(f"{stem}.ipynb: read-only cells were deleted or lost their nbgrader metadata (test cells "
                            f"are put back and graded): {', '.join(deleted)}")
    summary = []
    if verdicts["unchanged"]:
        summary.append(f"{are(verdicts['unchanged'])} unchanged from the release (nothing to grade)")
    if verdicts["blank"]:
        summary.append(f"{are(verdicts['blank'])} blank: every answer cell is as released "
                       "(nothing to grade, though other cells were edited)")
    return summary + problems


def compared(submitted, released, read_only):
    """(verdict, changed, deleted) of a submitted notebook against its release: verdict 'unchanged' (every
    cell's source as released: opening and running it changes only outputs), 'blank' (the answer cells
    are), or 'answered'; the read-only cells ({grade id: released checksum}) it changed or deleted."""
    if sources(submitted) == sources(released):
        verdict = "unchanged"  # its read-only cells may still differ: their points or flags (the checksum has them)
    else:
        verdict = "blank" if answers(submitted, like=released) == answers(released) else "answered"
    return (verdict, *read_only_changes(read_only, submitted))


def are(names):
    """'a.ipynb is', 'a.ipynb and b.ipynb are'."""
    return f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'}"


def sources(nb):
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def cell_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def answers(nb, like=None):
    """{grade id: source} of the answer cells of nb; with like (the release), of like's answer cells, a deleted
    one counting as unanswered (its released source)."""
    if like is None:
        return {cell_id(cell): cell.source for cell in nb.cells if layout.cell_kind(cell) == "student"}
    written = answers(nb)
    return {name: written.get(name, source) for name, source in answers(like).items()}


def read_only_changes(released, submitted):
    """(changed, deleted): the grade ids of released read-only cells ({grade id: checksum}) whose submitted
    version differs from the release, and of those missing from the submission."""
    found = {}
    for cell in submitted.cells:  # a duplicated cell: nbgrader keeps the first (DeduplicateIds)
        if cell_id(cell) in released:
            found.setdefault(cell_id(cell), checksum(cell))
    return ([name for name, value in released.items() if name in found and found[name] != value],
            [name for name in released if name not in found])


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
