"""Step 4 of grading a class (tools/grade.py): the instructor's reports, read from the course's gradebook.

grading/grades.csv     a row per student: each notebook's score, the total and the maximum
grading/tests.csv      a row per test cell: how many students failed it, most failed first
grading/problems.txt   what the grader noticed and fixed or scored zero, a line per problem
"""
import csv

from tools.record import gradebook


def gradebook_scores(course):
    """({student: {notebook: (score, max)}}, {(notebook, test): [students who failed it]}, {(notebook, test): points})."""
    scores, failures, points = {}, {}, {}
    with gradebook(course.gradebook) as gb:
        for submission in gb.assignment_submissions(course.assignment):
            row = scores.setdefault(submission.student_id, {})
            for nb in submission.notebooks:
                row[nb.name] = (nb.score, nb.max_score)
                for grade in nb.grades:
                    if grade.max_score:
                        points[(nb.name, grade.name)] = grade.max_score
                        failed = failures.setdefault((nb.name, grade.name), [])
                        failed.extend([submission.student_id] * (grade.score < grade.max_score))
    return scores, failures, points


def write_reports(course, problems):
    """Write the three reports; return the scores ({student: {notebook: (score, max)}})."""
    notebooks = list(course.expected)
    scores, failures, points = gradebook_scores(course)
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
