"""tools/record.py: what nbgrader saved in a sandbox's gradebook, copied into the course's gradebook
without running nbgrader again: scores, comments, the submission time and late penalties; a notebook
without scores scores zero; a manual score given earlier is kept, and its grade flagged for review."""
import json
from datetime import datetime

import pytest

import course
from course import ASSIGNMENT
from tools.inspection import Course
from tools.record import empty_gradebook, gradebook, record


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """A course with its release generated and, for student 'ada', a sandbox's result in grading/executed/."""
    root = course.copy_course(tmp_path_factory.mktemp("record") / "course")
    course.nbgrader(root, "generate_assignment", ASSIGNMENT)
    return Course(root, ASSIGNMENT)


def executed(graded_course, student, scores):
    """grading/executed/<student>/ as tools/sandbox.py leaves it: the notebooks and scores.json."""
    folder = graded_course.executed / student
    (folder / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
    (folder / ASSIGNMENT / "01_adamw.ipynb").write_text("{}")
    (folder / "scores.json").write_text(json.dumps(scores))


def grades(graded_course, student, notebook):
    with gradebook(graded_course.gradebook) as gb:
        found = gb.find_submission_notebook(notebook, ASSIGNMENT, student)
        return ({g.name: (g.score, g.needs_manual_grade) for g in found.grades},
                {c.name: c.auto_comment for c in found.comments}, found.late_submission_penalty)


def test_scores_comments_time_and_penalty_are_recorded_and_a_notebook_without_scores_is_zero(graded_course):
    saved = {"timestamp": "2026-11-20T09:30:00",
             "notebooks": {"01_adamw": {"grades": {"test_adamw_in_place": 2.0, "test_adamw_first_step": 0.0},
                                        "comments": {"adamw": "No response."}, "late_submission_penalty": 1.5}}}
    executed(graded_course, "ada", saved)
    record(graded_course, "ada")
    scored, comments, penalty = grades(graded_course, "ada", "01_adamw")
    assert scored["test_adamw_in_place"] == (2.0, False) and scored["test_adamw_first_step"] == (0.0, False)
    assert comments == {"adamw": "No response."} and penalty == 1.5
    assert {score for score, _ in grades(graded_course, "ada", "02_lr_schedules")[0].values()} == {0}
    with gradebook(graded_course.gradebook) as gb:
        assert gb.find_submission(ASSIGNMENT, "ada").timestamp == datetime(2026, 11, 20, 9, 30)
    assert (graded_course.root / "autograded" / "ada" / ASSIGNMENT / "01_adamw.ipynb").read_text() == "{}"


def test_a_manual_score_survives_regrading_and_is_flagged_for_review(graded_course):
    executed(graded_course, "bob", {"timestamp": None, "notebooks": {"01_adamw": {"grades": {"test_adamw_in_place": 0.0}}}})
    record(graded_course, "bob")
    with gradebook(graded_course.gradebook) as gb:
        gb.find_grade("test_adamw_in_place", "01_adamw", ASSIGNMENT, "bob").manual_score = 1.0
        gb.db.commit()
    record(graded_course, "bob")
    assert grades(graded_course, "bob", "01_adamw")[0]["test_adamw_in_place"] == (1.0, True)


def test_the_sandboxes_gradebook_has_the_assignment_and_no_student(graded_course):
    executed(graded_course, "cy", {"timestamp": None, "notebooks": {}})
    record(graded_course, "cy")
    with gradebook(graded_course.gradebook) as gb:
        points = gb.find_assignment(ASSIGNMENT).max_score
    with gradebook(empty_gradebook(graded_course)) as gb:
        assert gb.students == [] and points > 0 and gb.find_assignment(ASSIGNMENT).max_score == points
