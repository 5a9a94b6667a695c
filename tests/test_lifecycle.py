"""The whole course lifecycle, following the README's two tables of commands as written.

It reads the student table (README "For students") and the instructor table ("For instructors") and runs their
commands in order, with nbgrader's local exchange: root creates the exchange; the instructor points the course at
it, imports a roster, generates and releases the lab; each student sets up their nbgrader settings, fetches,
works, validates and submits; the instructor collects, grades with tools/grade.py, generates and releases
feedback and exports the grades; one student resubmits a fix and only they are regraded; each student fetches
their feedback. Three students: ada (the reference), bob (epsilon inside the square root, then fixed), cy (the
untouched release).

As root, each student is a real Unix login (tests/unix_users.py) with a private home and an environment built
from the kit's requirements.txt with a Python every user can run, and runs the student commands as themselves;
the instructor is the user running the tests. Otherwise one user plays every student, with a home each and
`--student` (and the exchange's owner check off, since every folder is theirs).

Only what a test cannot avoid is adapted: `sudo ` is dropped (the test is root, or the folder is its own), the
exchange's folder is a temporary one, and `uv run CMD` runs CMD from the course's environment (the course is a
copy without pyproject.toml).

    uv run pytest -m lifecycle        # this test alone
"""
import csv
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import course
import unix_users
from course import ASSIGNMENT, REPO, reference_answers
from hostile import FULL
from mutants import MUTANTS
from tools import layout

pytestmark = [pytest.mark.full, pytest.mark.lifecycle, pytest.mark.autograde]
MUTANT = next(m for m in MUTANTS if m.name == "eps_inside_sqrt")
README_EXCHANGE = "/srv/nbgrader/exchange"
ENV_BIN = Path(sys.executable).parent          # the course's environment: `uv run` runs from here
SYSTEM_PYTHON = "/usr/bin/python3"
ROSTER = {"ada": ("Ada", "Lovelace"), "bob": ("Bob", "Kahan"), "cy": ("Cy", "Young")}
REAL_LOGINS = unix_users.AVAILABLE and Path(SYSTEM_PYTHON).is_file()


def readme_table(heading):
    """{step: (who, [commands])} of the first table after a README heading, in order (a table without a
    "who" column is the students')."""
    text = (REPO / "README.md").read_text()
    lines = text[text.index(heading):].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| step"))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        step = re.split(r"[:(,]", cells[0].replace("*", ""))[0].strip()
        rows[step] = (cells[1] if len(cells) == 3 else "student", re.findall(r"`([^`]+)`", cells[-1]))
    return rows


STUDENT = readme_table("## For students")
INSTRUCTOR = readme_table("## For instructors")


def test_the_readme_tables_have_the_steps_this_test_follows():
    assert list(STUDENT) == ["once", "fetch", "validate a notebook", "submit", "fetch feedback"], list(STUDENT)
    assert list(INSTRUCTOR) == ["create the exchange", "point the course at it", "import the roster",
                                "generate the student version and the gradebook", "release", "fetch", "submit",
                                "collect", "grade the class", "feedback", "fetch feedback", "grades to CSV"]
    for step in ("fetch", "submit", "fetch feedback"):  # both tables give students the same command
        assert INSTRUCTOR[step][1] == STUDENT[step][1], step


class Lifecycle:
    """The people and folders of one run."""

    def __init__(self, base, course_root, logins, student_env):
        self.base, self.root, self.logins, self.student_env = base, course_root, logins, student_env
        self.exchange = base / README_EXCHANGE.lstrip("/")

    def adapt(self, command):
        return command.replace("sudo ", "").replace(README_EXCHANGE, str(self.exchange))

    def instructor(self, step, *extra):
        """Run the README's instructor commands of a step in the course folder; return their output."""
        who, commands = INSTRUCTOR[step]
        assert who in ("instructor", "root"), (step, who)
        output = ""
        for command in commands:
            argv = shlex.split(self.adapt(command))
            if argv[:2] == ["uv", "run"]:
                argv = [str(ENV_BIN / argv[2]) if (ENV_BIN / argv[2]).exists() else argv[2], *argv[3:]]
            done = subprocess.run([*argv, *extra], cwd=self.root, capture_output=True, text=True,
                                  env={**course.quiet_env(self.base / "home-instructor"),
                                       "PATH": f"{ENV_BIN}:{os.environ['PATH']}"})
            assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            output += done.stdout + done.stderr
        return output

    def home(self, student):
        return Path(unix_users.home(self.logins[student])) if REAL_LOGINS else self.base / f"home-{student}"

    def student(self, student, step):
        """Run the README's student commands of a step in the student's home folder, as the student."""
        output = ""
        for command in STUDENT[step][1]:
            command = self.adapt(command)
            if not REAL_LOGINS and command.startswith("nbgrader") and step in ("submit", "fetch feedback"):
                command += f" --student={student}"  # one OS user plays every student
            env = {"PATH": f"{self.student_env}:/usr/bin:/bin"}
            if REAL_LOGINS:
                done = unix_users.run_as(self.logins[student], ["bash", "-c", command], cwd=self.home(student),
                                         env=env, capture_output=True)
            else:
                done = subprocess.run(["bash", "-c", command], cwd=self.home(student), capture_output=True,
                                      text=True, env={**course.quiet_env(self.home(student)), **env})
            assert done.returncode == 0, f"{student}: {command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            output += done.stdout + done.stderr
        return output

    def work(self, student, answers, signature):
        """What a student does between fetch and submit: fill in the notebooks (signed) and save."""
        folder = self.home(student) / ASSIGNMENT
        signed = {**answers, "01_adamw": {**answers["01_adamw"]}}
        signed["01_adamw"]["adamw"] = answers["01_adamw"]["adamw"] + f"\n# {signature}"
        course.fill_in(folder, signed)
        if REAL_LOGINS:
            subprocess.run(["chown", "-R", f"{self.logins[student]}:", str(folder)], check=True)


def student_environment(base):
    """The environment of the kit's requirements.txt, installed (as README's `pip install -r requirements.txt`)
    with the locked versions, from uv's cache, with a Python every student can run."""
    env = base / "student-env"
    uv = os.environ.get("UV") or shutil.which("uv")
    constraints = base / "constraints.txt"
    locked = subprocess.run([uv, "export", "--frozen", "--no-hashes", "--no-emit-project", "-q"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout
    constraints.write_text("\n".join(line for line in locked.splitlines() if not line.startswith(("./", "-e"))))
    subprocess.run([uv, "venv", "-q", "--python", SYSTEM_PYTHON, str(env)], check=True)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(env / "bin" / "python"),
                    "-r", str(layout.release() / "requirements.txt"), "-c", str(constraints)], check=True)
    return env / "bin"


@pytest.fixture
def lifecycle(tmp_path):
    base = Path(tempfile.mkdtemp(prefix="lab03-lifecycle-"))
    base.chmod(0o755)  # the students reach the exchange inside it; the course stays in tmp_path (private)
    root = course.copy_course(tmp_path / "course")
    try:
        if REAL_LOGINS:
            with unix_users.temporary_users(*ROSTER) as logins:
                yield Lifecycle(base, root, logins, student_environment(base))
        else:
            yield Lifecycle(base, root, {name: name for name in ROSTER}, ENV_BIN)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def hidden_test_lines():
    """Lines of the hidden-test regions of the source notebooks that occur nowhere else in them."""
    return course.region_lines(course.HIDDEN_REGION, min_length=12)


def total_scores(root):
    return {student: sum(course.total(cells)[0] for cells in notebooks.values())
            for student, notebooks in course.scores(root).items()}


def test_release_fetch_submit_collect_grade_resubmit_feedback_export(lifecycle):
    run = lifecycle
    students = {name: run.logins[name] for name in ROSTER}
    run.instructor("create the exchange")
    run.instructor("point the course at it")
    if not REAL_LOGINS:  # one OS user owns every submission: nbgrader's owner check would refuse them
        with open(run.root / "nbgrader_config.local.py", "a") as file:
            file.write("c.ExchangeCollect.check_owner = False\n")
    with open(run.root / "roster.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "first_name", "last_name", "email"])
        for name, (first, last) in ROSTER.items():
            writer.writerow([students[name], first, last, f"{name}@example.edu"])
    run.instructor("import the roster")
    run.instructor("generate the student version and the gradebook")
    run.instructor("release")

    reference = reference_answers()
    answers = {"ada": reference, "bob": MUTANT.answers(reference), "cy": None}
    for name in ROSTER:
        shutil.copy(run.root / "student_nbgrader_config.py", run.home(name))  # handed out by the instructor
        if REAL_LOGINS:
            subprocess.run(["chown", f"{students[name]}:", str(run.home(name) / "student_nbgrader_config.py")],
                           check=True)
        run.student(name, "once")
        run.student(name, "fetch")
        if answers[name] is not None:
            run.work(name, answers[name], signature=f"written by {name}")
        verdict = run.student(name, "validate a notebook")
        assert ("VALIDATION FAILED" in verdict) == (name != "ada"), verdict[-2000:]
        run.student(name, "submit")

    run.instructor("collect")
    graded = run.instructor("grade the class")
    full = sum(FULL.values())
    first = total_scores(run.root)
    assert first[students["ada"]] == full and first[students["cy"]] == 0, first
    assert first[students["bob"]] < full, first

    # bob fixes his mistake and resubmits; only he is graded again
    run.work("bob", reference, signature="written by bob")
    run.student("bob", "submit")
    collected = run.instructor("collect")
    assert "use --update" not in collected, collected
    regraded = run.instructor("grade the class")
    assert students["bob"] in regraded and students["ada"] not in regraded.split("unchanged")[0], regraded
    second = total_scores(run.root)
    assert second == {**first, students["bob"]: full}, second

    run.instructor("feedback")
    run.instructor("grades to CSV")
    with open(run.root / "grades.csv") as file:
        exported = {row["student_id"]: row for row in csv.DictReader(file)}
    assert {sid: float(row["score"]) for sid, row in exported.items()} == second
    for name, (first_name, last_name) in ROSTER.items():
        row = exported[students[name]]
        assert (row["first_name"], row["last_name"], row["email"]) == (first_name, last_name, f"{name}@example.edu")

    hidden = hidden_test_lines()
    assert len(hidden) > 100, "the hidden-test lines should be found"
    for name in ROSTER:
        run.student(name, "fetch feedback")
        pages = sorted((run.home(name) / ASSIGNMENT / "feedback").rglob("*.html"))
        latest = sorted({page.parent for page in pages})[-1]
        assert sorted(p.stem for p in latest.glob("*.html")) == [p.stem for p in layout.notebooks()], pages
        text = "\n".join(course.text_of(page.read_text()) for page in latest.glob("*.html"))
        for other in set(ROSTER) - {name, "cy"}:
            assert f"written by {other}" not in text, f"{name}'s feedback shows {other}'s work"
        if name != "cy":
            assert f"written by {name}" in text, "feedback must be the student's own"
        shown = sorted(hidden & {line.strip() for line in text.splitlines()})
        assert not shown, f"{name}'s feedback shows hidden-test code: {shown[:3]}"
