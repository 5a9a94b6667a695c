"""Grade a whole class: every collected submission, in parallel, each in a sandbox, into nbgrader's gradebook.

    uv run python tools/grade.py lab03_training_loop [--jobs 2] [--student GLOB] [--force] [--unconfined]
    uv run python tools/grade.py lab03_training_loop --record-only    # record what was graded elsewhere

For each submission in submitted/<student>/<assignment>/, in four steps:
  1. inspect (tools/inspection.py): a notebook that is not valid JSON or missing scores zero, a renamed
     one is graded under its proper name, links and huge files are left out; each fix is reported;
  2. sandbox and autograde (tools/sandbox.py): nbgrader autogrades it, once, in a throw-away course
     whose kernels run in bubblewrap and see only the Python environment, the provided modules and the
     submission's copy (tools/sandbox_kernel.py; without bubblewrap grading refuses to start unless
     --unconfined); tools/grading.GuardedExecute survives hangs, crashes and monkeypatching. The graded
     notebooks and the scores nbgrader saved go to grading/executed/<student>/;
  3. record (tools/record.py): those scores into the course's gradebook through nbgrader's Gradebook API
     and the notebooks into autograded/, one student at a time (SQLite never sees two writers); then
     any change to the course's files is undone and reported (tools/course_guard.py);
  4. report (tools/report.py): grading/grades.csv, grading/tests.csv, grading/problems.txt.
Students recorded from an unchanged submission are skipped: an interrupted run resumes where it stopped,
and after a resubmission (`nbgrader collect --update`) only that student is graded again. The last lines
say who was graded and who was skipped.
"""
import argparse
import json
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the course: tools/ is imported as a package
from tqdm import tqdm  # noqa: E402

from tools.course_guard import Guard  # noqa: E402
from tools.inspection import Course, digest, files_of  # noqa: E402
from tools.record import empty_gradebook, record  # noqa: E402
from tools.report import write_reports  # noqa: E402
from tools.sandbox import grade_one  # noqa: E402


def arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--course", default=".", help="the course folder (default: here)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="submissions graded at once (default: one per core)")
    parser.add_argument("--student", default="*", help="grade only students matching this glob")
    parser.add_argument("--force", action="store_true", help="grade again students already graded")
    parser.add_argument("--record-only", action="store_true",
                        help="grade nothing: record grading/executed/ (graded elsewhere) in the gradebook")
    parser.add_argument("--keep-sandboxes", action="store_true",
                        help="keep each submission's sandbox (lab03-sandbox-* in the temporary folder) for inspection")
    parser.add_argument("--unconfined", action="store_true",
                        help="grade without bubblewrap: student code then runs with your rights and can read the course")
    return parser.parse_args(argv)


def isolation(unconfined):
    """One line for the instructor: how student code is kept from the course; None if grading must not start."""
    if shutil.which("bwrap"):
        return ("kernels run in bubblewrap: student code sees the Python environment and its own folder, "
                "not the course, its gradebook or other submissions")
    if not unconfined:
        return None
    return ("WARNING: bubblewrap is not installed, and --unconfined was given: student code runs with your rights and "
            "can read the course, its hidden tests and the gradebook (changes it makes to the course are undone)")


class Recorder:
    """Records graded students one at a time, undoing changes to the course first; keeps grading/state.json."""

    def __init__(self, course, students):
        self.course, self.guard = course, Guard(course)
        self.file = course.grading / "state.json"
        self.state = json.loads(self.file.read_text()) if self.file.exists() else {"graded": {}, "problems": {}}
        self.fingerprints = {s: digest(files_of(course.submitted(s))) for s in students}

    def todo(self, students, force):
        return [s for s in students if force or self.state["graded"].get(s) != self.fingerprints[s]]

    def finish(self, student, messages):
        undone = self.guard.undo_changes()  # before recording: what changed so far was not the grader's doing
        if undone:
            messages = messages + [f"files outside the submission were changed while grading, and restored: {', '.join(undone)}"]
        try:
            record(self.course, student)
        except Exception as error:  # noqa: BLE001  (one student's failure must not stop the class)
            messages = messages + [f"recording the grades failed: {type(error).__name__}: {error}"]
        self.guard.seal_gradebook()
        self.state["graded"][student], self.state["problems"][student] = self.fingerprints.get(student), messages
        self.file.write_text(json.dumps(self.state, indent=1))


def grade_class(course, recorder, todo, args):
    """Grade todo with args.jobs sandboxes at a time, recording each student as soon as it is graded."""
    template = empty_gradebook(course)
    with ThreadPoolExecutor(max(1, args.jobs)) as pool, tqdm(total=len(todo), unit="submission", file=sys.stderr) as bar:
        running = [pool.submit(grade_one, course, s, template, args.keep_sandboxes) for s in todo]
        for done in as_completed(running):
            student, messages, seconds = done.result()
            recorder.finish(student, messages)
            bar.set_postfix_str(f"{student} ({seconds:.0f} s)")
            bar.update()


def main(argv=None):
    args = arguments(argv)
    course = Course(args.course, args.assignment)
    course.grading.mkdir(exist_ok=True)
    notice = isolation(args.unconfined)
    if notice is None:
        sys.exit("bubblewrap is not installed (apt install bubblewrap): without it, student code would run with your "
                 "rights and could read the course's hidden tests and solutions. Install it, or pass --unconfined.")
    print(notice, file=sys.stderr)
    if args.unconfined:
        os.environ["GRADING_UNCONFINED"] = "1"  # read by tools/sandbox_kernel.py, in every kernel nbgrader starts
    students = course.submissions(args.student)
    recorder = Recorder(course, students)
    if args.record_only:
        recorded = sorted(p.name for p in course.executed.iterdir()) if course.executed.is_dir() else []
        for student in recorded:
            recorder.finish(student, recorder.state["problems"].get(student, []))
        done = f"recorded {some(recorded)} from grading/executed/"
    else:
        todo = recorder.todo(students, args.force)
        print(f"{len(students)} submissions, {len(students) - len(todo)} already graded, {len(todo)} to grade "
              f"with {args.jobs} at a time", file=sys.stderr)
        if todo:
            grade_class(course, recorder, todo, args)
        done = what_was_done(todo, [s for s in students if s not in todo])
    scores = write_reports(course, recorder.state["problems"])
    undone = recorder.guard.undo_changes()
    if undone:
        print(f"restored after grading: {', '.join(undone)}", file=sys.stderr)
    shutil.rmtree(recorder.guard.backup, ignore_errors=True)
    problems = sum(len(m) for m in recorder.state["problems"].values())
    print(f"{done}\nthe class ({some(scores, names=False)}): grading/grades.csv, grading/tests.csv, grading/problems.txt "
          f"({problems} problem{'s' * (problems != 1)} reported)", file=sys.stderr)


def some(students, names=True):
    """'no students', '1 student (ada)', '12 students (ada, ..., and 2 more)'; without names, the count only."""
    count = f"{len(students) or 'no'} student{'s' * (len(students) != 1)}"
    return f"{count} ({listed(students)})" if names and students else count


def listed(students, shown=10):
    """'ada, bob, cy', or the first shown names and how many more."""
    students = sorted(students)
    return ", ".join(students[:shown]) + (f", and {len(students) - shown} more" if len(students) > shown else "")


def what_was_done(graded, skipped):
    """What a run did, for the instructor: a rerun after one resubmission grades that student only, and says so."""
    if not graded and not skipped:
        return "graded no students: no submission found in submitted/ (collect first?)"
    done = f"graded {some(graded)}"
    return done + (f"; {len(skipped)} unchanged since last recorded ({listed(skipped)})" if skipped else "")


if __name__ == "__main__":
    main()
