"""Step 2 of grading a class (tools/grade.py): one submission autograded by nbgrader in a sandbox of its own.

The sandbox is a throw-away course in the temporary folder: the configuration, tools/, the source
notebooks and a gradebook with the assignment and no students. nbgrader autogrades the staged
submission there; its kernels are started by tools/sandbox_kernel.py (bubblewrap: they see the Python
environment, the provided modules and the submission's copy, not the sandbox or the course). What
comes out, in grading/executed/<student>/:
  - <assignment>/: nbgrader's autograded folder (graded notebooks, the submission's other files), a
    notebook that could not be graded replaced by the released one with every test failing and why;
  - scores.json: the scores, comments and late penalties nbgrader saved in the sandbox's gradebook,
    which tools/record.py copies into the course's gradebook without running nbgrader again.
nbgrader's log goes to grading/logs/<student>.log, without its false warnings about untouched cells (quiet_log).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat

from tools import layout
from tools.inspection import provided_copy, stage
from tools.kernel_guard import PROVIDED_VARIABLE

TOOLS = Path(__file__).resolve().parent
KERNEL = "lab03-grading"
JOB_SECONDS = 1800             # a whole submission; cells have their own 10 s limit (nbgrader_config.py)
# nbgrader's OverwriteCells, on a read-only cell whose checksum is not the gradebook's, and the lines that say
# which notebook it is working on (its grade ids are unique in a notebook only: every notebook has a `setup`).
CHECKSUM_WARNING = re.compile(r"Attribute 'checksum' for cell (\S+) has changed! \(should be: \w+, got: (\w+)\)")
NOTEBOOK_LINE = re.compile(r"\] (?:Sanitizing|Converting notebook) (\S+)\.ipynb\s*$")


def sandbox_for(course, student, template_db):
    """A private course in which nbgrader grades one student; returns (its folder, the staged submission)."""
    box = Path(tempfile.mkdtemp(prefix="lab03-sandbox-"))
    shutil.copy(course.root / "nbgrader_config.py", box)
    shutil.copytree(TOOLS, box / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(course.source, layout.source(box, course.assignment), symlinks=True,
                    ignore=shutil.ignore_patterns("lib", "__pycache__", ".ipynb_checkpoints"))
    shutil.copy(template_db, box / layout.GRADEBOOK)
    spec = box / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(box / "tools" / "sandbox_kernel.py"), "-f", "{connection_file}"],
        "display_name": "Python 3 (grading sandbox)", "language": "python",
        "interrupt_mode": "message"}))  # an interrupt reaches the kernel through the sandbox, as a message
    provided_copy(course, box / "provided")
    staged = box / layout.SUBMITTED_FOLDER / student / course.assignment
    staged.mkdir(parents=True)
    return box, staged


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


def saved_scores(db, course, student):
    """What nbgrader saved in a gradebook for one submission, per notebook: {timestamp, notebooks: {name:
    {grades: {grade id: auto score}, comments: {grade id: auto comment}, late_submission_penalty}}}."""
    from nbgrader.api import Gradebook

    with warnings.catch_warnings():  # nbgrader's database layer warns about its own session handling
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{db}", course_id=layout.COURSE_ID) as gb:
            submission = gb.find_submission(course.assignment, student)
            return {"timestamp": submission.timestamp and submission.timestamp.isoformat(),
                    "notebooks": {nb.name: {"grades": {g.name: g.auto_score for g in nb.grades},
                                            "comments": {c.name: c.auto_comment for c in nb.comments},
                                            "late_submission_penalty": nb.late_submission_penalty}
                                  for nb in submission.notebooks}}


def grade_one(course, student, template_db, keep=False):
    """Stage, sandbox and autograde one submission into grading/executed/<student>/; return
    (student, problems, seconds)."""
    start = time.perf_counter()
    box, staged = sandbox_for(course, student, template_db)
    try:
        found, problems = stage(course, student, staged)
        log = autograde_in(box, course, student, staged)
        out = course.executed / student
        shutil.rmtree(out, ignore_errors=True)
        graded = box / layout.AUTOGRADED_FOLDER / student / course.assignment
        if graded.is_dir():
            shutil.copytree(graded, out / course.assignment, symlinks=True)
        (out / course.assignment).mkdir(parents=True, exist_ok=True)
        for name in ("timestamp.txt", "submission_secret.txt"):  # release_feedback needs them, graded notebooks or not
            if (staged / name).is_file() and not (out / course.assignment / name).exists():
                shutil.copyfile(staged / name, out / course.assignment / name)
        try:
            scores = saved_scores(box / layout.GRADEBOOK, course, student)
        except Exception:  # noqa: BLE001  (no submission in the sandbox's gradebook: nothing was graded)
            scores = {"timestamp": None, "notebooks": {}}
        for stem, path in found.items():
            if isinstance(path, Path) and (graded / f"{stem}.ipynb").is_file():
                continue
            scores["notebooks"].pop(stem, None)  # recorded as zero
            reason = path if isinstance(path, str) else "grading failed: " + log.strip()[-300:]
            if not isinstance(path, str):
                problems.append(f"{stem}.ipynb could not be graded; nbgrader said: {log.strip()[-300:]}")
            nbformat.write(course.not_graded(stem, reason), out / course.assignment / f"{stem}.ipynb")
        (out / "scores.json").write_text(json.dumps(scores, indent=1))
        (course.grading / "logs").mkdir(exist_ok=True)
        (course.grading / "logs" / f"{student}.log").write_text(quiet_log(log, course.read_only_checksums))
        return student, problems, time.perf_counter() - start
    finally:
        stop_processes_in(box)
        if not keep:
            shutil.rmtree(box, ignore_errors=True)


def quiet_log(log, released):
    """nbgrader's log without its checksum warnings for read-only cells exactly as released ({notebook stem:
    {grade id: checksum}}), with a line that says how many were left out.

    The gradebook keeps each test cell's checksum from before the hidden tests were cleared for the
    release, so nbgrader warns about every test with hidden tests in every submission, untouched or not
    (jupyter/nbgrader#1961): some 47 warnings per student, in which a real one is lost. It puts the hidden
    tests back either way; a cell whose checksum is not the release's was changed by the student, and its
    warning stays (tools/inspection.py reports it in problems.txt too)."""
    kept, left_out, notebook = [], 0, None
    for line in log.splitlines(keepends=True):
        named = NOTEBOOK_LINE.search(line)
        notebook = Path(named.group(1)).name if named else notebook
        warning = CHECKSUM_WARNING.search(line)
        if warning and released.get(notebook, {}).get(warning.group(1)) == warning.group(2):
            left_out += 1
            continue
        kept.append(line)
    if not left_out:
        return log
    return (f"[tools/sandbox.py] {left_out} warnings \"Attribute 'checksum' for cell ... has changed!\" left out: those "
            "cells are exactly as released, nbgrader only put their hidden tests back (jupyter/nbgrader#1961)\n"
            + "".join(kept))


def stop_processes_in(folder):
    """Kill whatever still runs with its working folder inside folder (a kernel left behind by a crash)."""
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if Path(os.readlink(proc / "cwd")).is_relative_to(folder):
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ValueError):
            pass
