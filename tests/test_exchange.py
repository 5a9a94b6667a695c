"""tools/exchange.py: collecting from an exchange that every student can write to.

A student can put in the inbound folder what nbgrader's `submit` never makes: links to the course's
own files (which the instructor's collect would follow and copy), a folder that is itself a link, and
a folder in another student's name (which nbgrader only warns about). Each is refused and reported;
the student's own newest real submission is collected instead. The same attacks, by real Unix users
on a real hub: tests/test_hub.py.
"""
import getpass
import os
import pwd

import course
import pytest
from course import ASSIGNMENT

from tools import layout

PLAIN = "--ExchangeFactory.collect=nbgrader.exchange.default.collect.ExchangeCollect"


def stamp(minute):
    return f"2026-11-27 10:{minute:02d}:00.000000 UTC"


# What the collected copy of submission(inbound, student, 1, "own") holds.
OWN = {"01_adamw.ipynb": "mine", "submission_secret.txt": "own", "timestamp.txt": stamp(1)}


def submission(inbound, student, minute, tag, notebook="mine"):
    """A submission folder as nbgrader's submit makes it; return it."""
    folder = inbound / f"{student}+{ASSIGNMENT}+{stamp(minute)}+{tag}"
    folder.mkdir()
    (folder / "01_adamw.ipynb").write_text(notebook)
    (folder / "timestamp.txt").write_text(stamp(minute))
    (folder / "submission_secret.txt").write_text(tag)
    return folder


@pytest.fixture
def exchange(tmp_path):
    """A course, and an exchange whose inbound a test fills; collect(*options) runs `nbgrader collect`."""
    root = course.copy_course(tmp_path / "course")
    inbound = tmp_path / "exchange" / layout.COURSE_ID / "inbound"
    inbound.mkdir(parents=True)
    home = tmp_path / "home"
    (home / ".jupyter").mkdir(parents=True)
    (home / ".jupyter" / "nbgrader_config.py").write_text(f"c.Exchange.root = {str(tmp_path / 'exchange')!r}\n")

    def collect(*options):
        return course.nbgrader(root, "collect", ASSIGNMENT, *options, home=home)

    return root, inbound, collect


def collected(root, student):
    folder = root / layout.SUBMITTED_FOLDER / student / ASSIGNMENT
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_links_in_a_submission_are_left_out_and_reported(exchange):
    root, inbound, collect = exchange
    me = getpass.getuser()
    folder = submission(inbound, me, 1, "own")
    source = layout.source(root) / "02_lr_schedules.ipynb"
    (folder / "02_lr_schedules.ipynb").symlink_to(source)
    (folder / "notebooks").symlink_to(layout.source(root))
    done = collect()
    assert collected(root, me) == OWN
    for link in ("02_lr_schedules.ipynb", "notebooks"):
        assert f"Not collected: {link} in {folder.name} is a link or a special file" in done.stderr, done.stderr


def test_plain_nbgrader_would_have_collected_the_solutions(exchange):
    """What SafeCollect prevents: nbgrader's own collect follows the link and copies the source notebook."""
    root, inbound, collect = exchange
    me = getpass.getuser()
    (submission(inbound, me, 1, "own") / "02_lr_schedules.ipynb").symlink_to(layout.source(root) / "02_lr_schedules.ipynb")
    collect(PLAIN)
    assert "### BEGIN SOLUTION" in collected(root, me)["02_lr_schedules.ipynb"]


def test_a_folder_that_is_a_link_is_refused_for_the_students_own_submission(exchange):
    root, inbound, collect = exchange
    me = getpass.getuser()
    submission(inbound, me, 1, "own")
    (inbound / f"{me}+{ASSIGNMENT}+{stamp(9)}+link").symlink_to(layout.source(root))
    done = collect()
    assert collected(root, me) == OWN
    assert f"Not collected: {me}+{ASSIGNMENT}+{stamp(9)}+link is not a folder (a link?)" in done.stderr, done.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: folders owned by other users")
def test_a_folder_in_another_students_name_is_refused(exchange):
    root, inbound, collect = exchange
    victim, forger = "daemon", "nobody"  # system users on every Debian machine, standing in for students
    os.chown(submission(inbound, victim, 1, "own", notebook="the victim's"), pwd.getpwnam(victim).pw_uid, -1)
    os.chown(submission(inbound, victim, 9, "forged", notebook="the forger's"), pwd.getpwnam(forger).pw_uid, -1)
    os.chown(submission(inbound, "bin", 5, "forged"), pwd.getpwnam(forger).pw_uid, -1)  # no submission of its own
    done = collect()
    assert collected(root, victim)["01_adamw.ipynb"] == "the victim's"
    assert not (root / layout.SUBMITTED_FOLDER / "bin").exists()
    assert f"is owned by {forger}, not by {victim}; cheating attempt?" in done.stderr, done.stderr
    assert f"is owned by {forger}, not by bin; cheating attempt?" in done.stderr, done.stderr


def test_a_folder_nbgrader_did_not_make_is_refused_without_stopping_the_others(exchange):
    """A name without a valid timestamp stops nbgrader's collect for the whole class; a folder without
    submission_secret.txt stops its release_feedback. Both are refused; the student's own is collected."""
    root, inbound, collect = exchange
    me = getpass.getuser()
    submission(inbound, me, 1, "own")
    (inbound / f"{me}+{ASSIGNMENT}+yesterday+x").mkdir()
    (submission(inbound, me, 9, "nosecret") / "submission_secret.txt").unlink()
    done = collect()
    assert collected(root, me) == OWN
    assert f"{me}+{ASSIGNMENT}+yesterday+x has no valid timestamp in its name" in done.stderr, done.stderr
    assert "has no submission_secret.txt yet: still being submitted (collect --update again), or not made by `nbgrader submit`" in done.stderr, done.stderr
