"""tools/setup_exchange.py: the exchange's folder and mode, the instructor's local settings that the committed
nbgrader_config.py loads, and the students' settings file."""
import stat
import subprocess
import sys

import pytest

import course
from tools import setup_exchange

READ_SETTINGS = ("from nbgrader.apps.baseapp import NbGrader\n"
                 "app = NbGrader(); app.load_config_file()\n"
                 "print(app.config.Exchange.root, app.config.CourseDirectory.course_id)")


def settings_seen_by_nbgrader(folder, home):
    """(Exchange.root, course id) as nbgrader's own config loading finds them in folder."""
    done = subprocess.run([sys.executable, "-c", READ_SETTINGS], cwd=folder, capture_output=True, text=True,
                          env=course.quiet_env(home), check=True)
    return done.stdout.split()


def test_the_exchange_is_created_sticky_and_the_instructor_settings_are_loaded(tmp_path):
    root = course.copy_course(tmp_path / "course")
    exchange = tmp_path / "srv" / "exchange"
    setup_exchange.main([str(exchange), "--course", str(root)])
    assert stat.S_IMODE(exchange.stat().st_mode) == 0o1777
    assert settings_seen_by_nbgrader(root, tmp_path / "home") == [str(exchange), "lab03"]
    student = tmp_path / "student"
    (student / ".jupyter").mkdir(parents=True)
    (root / setup_exchange.STUDENT_CONFIG).replace(student / ".jupyter" / "nbgrader_config.py")
    assert settings_seen_by_nbgrader(tmp_path, student) == [str(exchange), "lab03"]


def test_the_committed_settings_name_no_exchange_of_any_machine(tmp_path):
    root = course.copy_course(tmp_path / "course")
    assert settings_seen_by_nbgrader(root, tmp_path / "home")[0] != str(tmp_path)


def test_a_folder_of_someone_else_with_the_wrong_mode_is_refused(tmp_path, monkeypatch):
    exchange = tmp_path / "exchange"
    exchange.mkdir(mode=0o755)
    monkeypatch.setattr(setup_exchange.os, "geteuid", lambda: exchange.stat().st_uid + 1)
    with pytest.raises(SystemExit, match="mode 755, not 1777"):
        setup_exchange.create_exchange(exchange)
