"""Real Unix logins for tests that play several people on one machine (as root): create them, run commands as
them, remove them and everything they left.

Logins are `t<6 hex>-<name>` (at most 32 characters, Debian's limit), homes 0700 as on a shared machine. Used by
tests/test_open_course.py (an ordinary user opens the course) and tests/test_lifecycle.py (each student has a login).
"""
import contextlib
import os
import secrets
import shutil
import subprocess
import time

TOOLS = ("useradd", "userdel", "runuser", "pkill")
MISSING = [tool for tool in TOOLS if shutil.which(tool) is None]
AVAILABLE = hasattr(os, "geteuid") and os.geteuid() == 0 and not MISSING
WHY_NOT = ("needs root to create Unix users" if not (hasattr(os, "geteuid") and os.geteuid() == 0)
           else f"needs {', '.join(MISSING)}")


@contextlib.contextmanager
def temporary_users(*names):
    """Yield {name: login} for new users with private homes; remove them, their processes and homes afterwards."""
    tag = secrets.token_hex(3)
    logins = {name: f"t{tag}-{name}"[:32] for name in names}
    try:
        for login in logins.values():
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", login], check=True)
            os.chmod(home(login), 0o700)  # Debian's useradd leaves homes 0755
        yield logins
    finally:
        for login in logins.values():
            remove(login)


def remove(login, seconds=30):
    """Kill login's processes and delete the user and their home. userdel refuses while a process of the user
    lives, and a killed process takes a moment to go: retry until it is gone."""
    deadline = time.monotonic() + seconds
    while True:
        subprocess.run(["pkill", "-KILL", "-u", login], capture_output=True)
        done = subprocess.run(["userdel", "--remove", login], capture_output=True, text=True)
        if done.returncode in (0, 6) or time.monotonic() > deadline:  # 6: no such user
            break
        time.sleep(0.5)
    if subprocess.run(["id", login], capture_output=True).returncode == 0:
        raise RuntimeError(f"could not remove the test user {login}: {done.stderr.strip()}")


def home(login):
    return os.path.expanduser(f"~{login}")


def as_user(login, argv, env=None):
    """The command line that runs argv as login, with a clean login-like environment (HOME, USER, PATH) plus env."""
    clean = {"HOME": home(login), "USER": login, "LOGNAME": login, "LANG": "C.UTF-8",
             "PATH": "/usr/local/bin:/usr/bin:/bin", **(env or {})}
    return ["runuser", "-u", login, "--", "env", "-i", *(f"{k}={v}" for k, v in clean.items()), *map(str, argv)]


def run_as(login, argv, cwd, env=None, **kwargs):
    """Run argv as login in cwd (subprocess.run's keywords pass through)."""
    return subprocess.run(as_user(login, argv, env), cwd=cwd, text=True, **kwargs)
