"""Grade a whole class: every collected submission, in parallel, each in a sandbox, into nbgrader's gradebook.

    uv run python tools/grade.py lab03_training_loop [--jobs 2] [--student GLOB] [--force] [--unconfined]
    uv run python tools/grade.py lab03_training_loop --record-only    # record what was graded elsewhere

For each submission in submitted/<student>/<assignment>/:
  1. inspect it: a notebook that is not valid JSON, renamed or missing is reported; a renamed one is
     graded under its proper name, the others score zero; links and huge files are left out;
  2. autograde it with nbgrader in a sandbox of its own (a throw-away course with an empty gradebook)
     whose kernels tools/sandbox_kernel.py starts with memory and file limits, in bubblewrap, seeing
     only the Python environment, the provided modules and the submission's own copy (without
     bubblewrap it refuses, unless --unconfined); nbgrader runs tools/grading.GuardedExecute, which
     survives hangs, crashes and monkeypatching;
  3. record the graded notebooks in the course's gradebook with nbgrader itself, one student at a time
     (SQLite never sees two writers), and check that the course's files are as they were: a change
     is undone and reported.
Then it writes grading/grades.csv, grading/tests.csv (how many students failed each test) and
grading/problems.txt. Students recorded from an unchanged submission are skipped: an interrupted
run resumes where it stopped.
"""
import argparse
import csv
import fnmatch
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat
from tqdm import tqdm

from kernel_guard import GENERATED_HEADER, PROVIDED_VARIABLE

TOOLS = Path(__file__).resolve().parent
KERNEL = "lab03-grading"
MAX_FILE_BYTES = 50 << 20      # a larger file in a submission is left out
JOB_SECONDS = 1800             # a whole submission; cells have their own 10 s limit (nbgrader_config.py)
PROTECTED = ("nbgrader_config.py", "tools", "lib", "notebooks", "release", "submitted")


def grade_ids(nb):
    return {cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells if "grade_id" in cell.metadata.get("nbgrader", {})}


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


class Course:
    def __init__(self, root, assignment):
        self.root, self.assignment = Path(root).resolve(), assignment
        self.source = self.root / "notebooks" / assignment
        self.release = self.root / "release" / assignment
        self.grading = self.root / "grading"
        self.executed = self.grading / "executed"
        self.expected = {p.stem: grade_ids(nbformat.read(p, as_version=4)) for p in sorted(self.source.glob("*.ipynb"))}

    def submissions(self, pattern="*"):
        base = self.root / "submitted"
        return sorted(p.name for p in base.iterdir() if (p / self.assignment).is_dir() and fnmatch.fnmatch(p.name, pattern)) \
            if base.is_dir() else []

    def not_graded(self, notebook, reason):
        """The released notebook, every test failing with `reason`: nbgrader records a zero with the reason."""
        nb = nbformat.read(self.release / f"{notebook}.ipynb", as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                cell.outputs = [nbformat.v4.new_output("error", ename="NotGraded", evalue=reason, traceback=[f"NotGraded: {reason}"])]
        return nb


def stage(course, student, target):
    """Copy student's submission into target, fixed where possible; return (staged notebooks, problems)."""
    submitted = course.root / "submitted" / student / course.assignment
    problems, found = [], {}
    files = files_of(submitted)
    if not files:
        problems.append("the submission folder is empty")
    for name, path in files.items():
        if not name.endswith(".ipynb") and path.stat().st_size <= MAX_FILE_BYTES:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / name)
        elif not name.endswith(".ipynb"):
            problems.append(f"{name} is larger than {MAX_FILE_BYTES >> 20} MB and was left out")
    notebooks = {name: path for name, path in files.items() if name.endswith(".ipynb") and "/" not in name}
    for stem in course.expected:
        path = notebooks.pop(f"{stem}.ipynb", None)
        if path is not None and readable(path) is None:
            problems.append(f"{stem}.ipynb is not a readable notebook (not valid JSON?): it scores zero")
            found[stem] = f"{stem}.ipynb was not a readable notebook (not valid JSON?)"
        elif path is not None:
            found[stem] = path
    for name, path in sorted(notebooks.items()):  # unexpected names: a renamed notebook, or a stray copy
        nb = readable(path)
        ids = grade_ids(nb) if nb else set()
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
    for stem, path in found.items():
        if isinstance(path, Path):
            shutil.copyfile(path, target / f"{stem}.ipynb")
    restore_provided_lib(course, target)
    return found, problems


def generated(path):
    """Is this lib/ module exported from a notebook (the student's code), rather than a provided helper?"""
    with open(path, encoding="utf-8", errors="replace") as file:
        return file.readline().startswith(GENERATED_HEADER)


def restore_provided_lib(course, target):
    """Put the released lib/ helpers back (a deleted or edited helper neither costs nor earns points);
    the modules exported from notebooks are rebuilt from the student's notebooks by their set-up cells."""
    for name, path in files_of(course.release / "lib").items():
        destination = target / "lib" / name
        if not generated(path) or not destination.is_file():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)


def sandbox_for(course, student, template_db):
    """A private course in which nbgrader grades one student; returns (its folder, the staged submission).
    It lives in the temporary folder, which the kernels' containment replaces by an empty one."""
    box = Path(tempfile.mkdtemp(prefix="lab03-sandbox-"))
    shutil.copy(course.root / "nbgrader_config.py", box)
    shutil.copytree(TOOLS, box / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(course.source, box / "notebooks" / course.assignment, symlinks=True,
                    ignore=shutil.ignore_patterns("lib", "__pycache__", ".ipynb_checkpoints"))
    shutil.copy(template_db, box / "gradebook.db")
    spec = box / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(box / "tools" / "sandbox_kernel.py"), "-f", "{connection_file}"],
        "display_name": "Python 3 (grading sandbox)", "language": "python",
        "interrupt_mode": "message"}))  # an interrupt reaches the kernel through the sandbox, as a message
    provided_copy(course, box / "provided")
    staged = box / "submitted" / student / course.assignment
    staged.mkdir(parents=True)
    return box, staged


def provided_copy(course, folder):
    """The released provided modules the tests rely on (checks.py, doubles.py, the lib/ helpers), which
    the kernel sees read-only (GRADING_PROVIDED) and loads before every test: rewriting or shadowing the
    submission's copies gains nothing."""
    for name, path in files_of(course.release).items():
        helper = name.startswith("lib/") and not generated(path)
        if name.endswith(".py") and ("/" not in name or helper):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / name)


def autograde_in(box, course, student, staged):
    """Run nbgrader autograde for one student inside its sandbox; return the log (stdout and stderr)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("JUPYTER")}
    env.update(HOME=str(box / "home"), JUPYTER_CONFIG_DIR=str(box / "home" / ".jupyter"),
               JUPYTER_DATA_DIR=str(box / "jupyter"), JUPYTER_RUNTIME_DIR=str(box / "runtime"),
               PYTHONWARNINGS="ignore::DeprecationWarning", GRADING_SUBMITTED=str(staged),
               **{PROVIDED_VARIABLE: str(box / "provided")})
    command = [sys.executable, "-m", "nbgrader", "autograde", course.assignment, f"--student={student}", "--force",
               f"--GuardedExecute.kernel_name={KERNEL}", "--CourseDirectory.root=" + str(box)]
    log = box / "autograde.log"  # a file, not a pipe: a kernel that outlives nbgrader must not keep us waiting
    with open(log, "w") as out:
        try:
            subprocess.run(command, cwd=box, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=JOB_SECONDS)
        except subprocess.TimeoutExpired:
            out.write(f"\nstopped after {JOB_SECONDS} s\n")
    return log.read_text(errors="replace")


def grade_one(course, student, template_db, keep=False):
    """Stage, sandbox and autograde one submission; put the graded notebooks in grading/executed/."""
    start = time.perf_counter()
    box, staged = sandbox_for(course, student, template_db)
    try:
        found, problems = stage(course, student, staged)
        log = autograde_in(box, course, student, staged)
        graded = box / "autograded" / student / course.assignment
        out = course.executed / student / course.assignment
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        for stem, path in found.items():
            if isinstance(path, Path) and (graded / f"{stem}.ipynb").is_file():
                shutil.copyfile(graded / f"{stem}.ipynb", out / f"{stem}.ipynb")
                continue
            reason = path if isinstance(path, str) else "grading failed: " + log.strip()[-300:]
            if not isinstance(path, str):
                problems.append(f"{stem}.ipynb could not be graded; nbgrader said: {log.strip()[-300:]}")
            nbformat.write(course.not_graded(stem, reason), out / f"{stem}.ipynb")
        for name in ("timestamp.txt", "submission_secret.txt"):  # nbgrader's bookkeeping: lateness, feedback release
            kept = course.root / "submitted" / student / course.assignment / name
            if kept.is_file():
                shutil.copyfile(kept, out / name)
        (course.grading / "logs").mkdir(exist_ok=True)
        (course.grading / "logs" / f"{student}.log").write_text(log)
        return student, problems, time.perf_counter() - start
    finally:
        stop_processes_in(box)
        if not keep:
            shutil.rmtree(box, ignore_errors=True)


def stop_processes_in(folder):
    """Kill whatever still runs with its working folder inside folder (a kernel left behind by a crash)."""
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if Path(os.readlink(proc / "cwd")).is_relative_to(folder):
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def load_config(course):
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()


def empty_gradebook(course):
    """A copy of the course's gradebook with no students: what each sandbox starts from."""
    from nbgrader.api import Gradebook

    db = course.grading / "template.db"
    shutil.copyfile(course.root / "gradebook.db", db)
    with Gradebook(f"sqlite:///{db}", course_id=load_config(course).CourseDirectory.course_id) as gb:
        for student in list(gb.students):
            gb.remove_student(student.id)
    return db


def record(course, student):
    with warnings.catch_warnings():  # nbgrader's database layer warns about its own session handling
        warnings.simplefilter("ignore")
        record_quietly(course, student)


def record_quietly(course, student):
    """Record a student's graded notebooks (grading/executed/) in the course's gradebook, with nbgrader's
    own autograde, its execution left out: the scores come from the outputs graded in the sandbox."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, DeduplicateIds, IgnorePattern,
                                        LimitOutput, OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

    config = load_config(course)
    config.Autograde.sanitize_preprocessors = [DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata]
    config.Autograde.autograde_preprocessors = [IgnorePattern, LimitOutput, SaveAutoGrades, AssignLatePenalties,
                                                CheckCellMetadata]
    config.Application.log_level = "WARN"
    coursedir = CourseDirectory(config=config)
    coursedir.root, coursedir.submitted_directory = str(course.root), str(course.executed.relative_to(course.root))
    coursedir.assignment_id, coursedir.student_id = course.assignment, student
    converter = Autograde(coursedir=coursedir, config=config)
    converter.force = True
    converter.start()


def signature(path):
    """What any change to a file changes: the kernel sets ctime on every write, and no user can set it back."""
    st = path.lstat()
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode


class Guard:
    """The course's own files, fingerprinted at the start; any change made while grading is undone.

    Each check compares the files' signatures (a stat call each) and hashes only a file whose signature
    changed: checking after every student costs a stat per file, not a read of the whole course."""

    def __init__(self, course):
        self.course = course
        self.backup = course.grading / "backup"
        shutil.rmtree(self.backup, ignore_errors=True)
        self.files = {}
        for top in PROTECTED:
            path = course.root / top
            found = files_of(path) if path.is_dir() else ({"": path} if path.is_file() else {})
            self.files.update({(Path(top) / name).as_posix() if name else top: p for name, p in found.items()})
        self.hashes = {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in self.files.items()}
        self.signatures = {name: signature(p) for name, p in self.files.items()}
        for name, path in self.files.items():
            (self.backup / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, self.backup / name)
        self.seal_gradebook()

    def seal_gradebook(self):
        """Remember the gradebook as the grader left it (after each recording)."""
        db = self.course.root / "gradebook.db"
        shutil.copyfile(db, self.course.grading / "gradebook.sealed")
        self.gradebook_hash = hashlib.sha256(db.read_bytes()).hexdigest()

    def undo_changes(self):
        """Restore every protected file that changed or vanished, and the gradebook; return what was undone."""
        undone = []
        for name, digest_ in self.hashes.items():
            path = self.course.root / name
            if path.is_file() and not path.is_symlink() and signature(path) == self.signatures[name]:
                continue
            if not path.is_file() or path.is_symlink() or hashlib.sha256(path.read_bytes()).hexdigest() != digest_:
                if path.is_symlink() or path.is_dir():
                    shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.backup / name, path)
                undone.append(name)
            self.signatures[name] = signature(path)
        db = self.course.root / "gradebook.db"
        if hashlib.sha256(db.read_bytes()).hexdigest() != self.gradebook_hash:
            shutil.copyfile(self.course.grading / "gradebook.sealed", db)
            undone.append("gradebook.db")
        return undone


def write_reports(course, problems):
    """grading/grades.csv, grading/tests.csv and grading/problems.txt, from the gradebook."""
    from nbgrader.api import Gradebook

    config = load_config(course)
    notebooks = list(course.expected)
    scores, failures, points = {}, {}, {}
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", course_id=config.CourseDirectory.course_id) as gb:
        for submission in gb.assignment_submissions(course.assignment):
            row = scores.setdefault(submission.student_id, {})
            for nb in submission.notebooks:
                row[nb.name] = (nb.score, nb.max_score)
                for grade in nb.grades:
                    if grade.max_score:
                        points[(nb.name, grade.name)] = grade.max_score
                        failures.setdefault((nb.name, grade.name), []).extend([submission.student_id] * (grade.score < grade.max_score))
    with open(course.grading / "grades.csv", "w", newline="") as file:
        out = csv.writer(file)
        out.writerow(["student", *notebooks, "total", "max"])
        for student, row in sorted(scores.items()):
            values = [row.get(nb, (0, 0)) for nb in notebooks]
            out.writerow([student, *[f"{s:g}" for s, _ in values], f"{sum(s for s, _ in values):g}", f"{sum(m for _, m in values):g}"])
    with open(course.grading / "tests.csv", "w", newline="") as file:
        out = csv.writer(file)
        out.writerow(["notebook", "test", "points", "students_failed", "students_graded", "share_failed"])
        for (nb, test), failed in sorted(failures.items(), key=lambda item: (-len(item[1]), item[0])):
            out.writerow([nb, test, f"{points[(nb, test)]:g}", len(failed), len(scores), f"{len(failed) / max(len(scores), 1):.2f}"])
    lines = [f"{student}: {message}" for student, messages in sorted(problems.items()) for message in messages]
    (course.grading / "problems.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
    return scores


def isolation(unconfined):
    """One line for the instructor: how student code is kept from the course; None if grading must not start."""
    if shutil.which("bwrap"):
        return ("kernels run in bubblewrap: student code sees the Python environment and its own folder, "
                "not the course, its gradebook or other submissions")
    if not unconfined:
        return None
    return ("WARNING: bubblewrap is not installed, and --unconfined was given: student code runs with your rights and "
            "can read the course, its hidden tests and the gradebook (changes it makes to the course are undone)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--course", default=".", help="the course folder (default: here)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="submissions graded at once (default: one per core)")
    parser.add_argument("--student", default="*", help="grade only students matching this glob")
    parser.add_argument("--force", action="store_true", help="grade again students already graded")
    parser.add_argument("--record-only", action="store_true", help="only record grading/executed/ in the gradebook")
    parser.add_argument("--keep-sandboxes", action="store_true",
                        help="keep each submission's sandbox (lab03-sandbox-* in the temporary folder) for inspection")
    parser.add_argument("--unconfined", action="store_true",
                        help="grade without bubblewrap: student code then runs with your rights and can read the course")
    args = parser.parse_args(argv)

    course = Course(args.course, args.assignment)
    course.grading.mkdir(exist_ok=True)
    notice = isolation(args.unconfined)
    if notice is None:
        sys.exit("bubblewrap is not installed (apt install bubblewrap): without it, student code would run with your "
                 "rights and could read the course's hidden tests and solutions. Install it, or pass --unconfined.")
    print(notice, file=sys.stderr)
    if args.unconfined:
        os.environ["GRADING_UNCONFINED"] = "1"  # read by tools/sandbox_kernel.py, in every kernel nbgrader starts
    state_file = course.grading / "state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {"graded": {}, "problems": {}}
    guard = Guard(course)
    students = course.submissions(args.student)
    fingerprints = {s: digest(files_of(course.root / "submitted" / s / args.assignment)) for s in students}

    def finish(student, messages):
        undone = guard.undo_changes()  # before recording: what changed so far was not the grader's doing
        if undone:
            messages = messages + [f"files outside the submission were changed while grading, and restored: {', '.join(undone)}"]
        try:
            record(course, student)
        except Exception as error:  # noqa: BLE001  (one student's failure must not stop the class)
            messages = messages + [f"recording the grades failed: {type(error).__name__}: {error}"]
        guard.seal_gradebook()
        state["graded"][student], state["problems"][student] = fingerprints.get(student), messages
        state_file.write_text(json.dumps(state, indent=1))

    if args.record_only:
        for student in sorted(p.name for p in course.executed.iterdir()) if course.executed.is_dir() else []:
            finish(student, state["problems"].get(student, []))
    else:
        todo = [s for s in students if args.force or state["graded"].get(s) != fingerprints[s]]
        print(f"{len(students)} submissions, {len(students) - len(todo)} already graded, {len(todo)} to grade "
              f"with {args.jobs} at a time", file=sys.stderr)
        template = empty_gradebook(course) if todo else None
        with ThreadPoolExecutor(max(1, args.jobs)) as pool, tqdm(total=len(todo), unit="submission", file=sys.stderr) as bar:
            running = [pool.submit(grade_one, course, s, template, args.keep_sandboxes) for s in todo]
            for done in as_completed(running):
                student, messages, seconds = done.result()
                finish(student, messages)
                bar.set_postfix_str(f"{student} ({seconds:.0f} s)")
                bar.update()
    scores = write_reports(course, state["problems"])
    undone = guard.undo_changes()
    if undone:
        print(f"restored after grading: {', '.join(undone)}", file=sys.stderr)
    shutil.rmtree(guard.backup, ignore_errors=True)
    problems = sum(len(m) for m in state["problems"].values())
    print(f"graded {len(scores)} students; grading/grades.csv, grading/tests.csv, grading/problems.txt "
          f"({problems} problem{'s' * (problems != 1)} reported)", file=sys.stderr)


if __name__ == "__main__":
    main()
