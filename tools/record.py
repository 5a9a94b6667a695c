"""Step 3 of grading a class (tools/grade.py): a graded submission recorded in the course, one at a time.

nbgrader autograded each submission once, in its sandbox (tools/sandbox.py), and saved its scores in
the sandbox's gradebook, from which grading/executed/<student>/scores.json was read. Recording copies
them into the course's gradebook through nbgrader's Gradebook API, as nbgrader's SaveAutoGrades and
AssignLatePenalties would have written them (a manual score a grader gave earlier is kept, and the grade
flagged for review), and puts the graded notebooks in autograded/<student>/, where `nbgrader
generate_feedback` and the formgrader find them. Nothing is executed or converted again.
"""
import json
import shutil
import warnings
from contextlib import contextmanager
from datetime import datetime

from tools import layout


@contextmanager
def gradebook(path):
    """nbgrader's Gradebook on the SQLite file at path, without the warnings of its database layer."""
    from nbgrader.api import Gradebook  # imported here: it takes a second, and only recording needs it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{path}", course_id=layout.COURSE_ID) as gb:
            yield gb


def empty_gradebook(course):
    """A copy of the course's gradebook with no students: what each sandbox starts from."""
    db = course.grading / "template.db"
    shutil.copyfile(course.gradebook, db)
    with gradebook(db) as gb:
        for student in list(gb.students):
            gb.remove_student(student.id)
    return db


def record(course, student):
    """Record grading/executed/<student>/ in the course: scores in its gradebook, notebooks in autograded/.
    A notebook without scores (missing, unreadable, or not graded) scores zero."""
    executed = course.executed / student
    result = json.loads((executed / "scores.json").read_text())
    with gradebook(course.gradebook) as gb:
        gb.update_or_create_student(student)
        when = {"timestamp": datetime.fromisoformat(result["timestamp"])} if result["timestamp"] else {}
        gb.update_or_create_submission(course.assignment, student, **when)
        for name in course.expected:
            saved = result["notebooks"].get(name, {})
            notebook = gb.find_submission_notebook(name, course.assignment, student)
            for grade in notebook.grades:
                grade.auto_score = saved.get("grades", {}).get(grade.name, 0)
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            for comment in notebook.comments:
                comment.auto_comment = saved.get("comments", {}).get(comment.name)
            notebook.late_submission_penalty = saved.get("late_submission_penalty")
        gb.db.commit()
    autograded = course.root / layout.AUTOGRADED_FOLDER / student / course.assignment
    shutil.rmtree(autograded, ignore_errors=True)
    shutil.copytree(executed / course.assignment, autograded, symlinks=True)
