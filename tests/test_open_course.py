"""The README's first command, `uv run jupyter lab`, opens the course whoever runs it: root (a container, a cloud
VM's default account, this project's CI) and an ordinary user. Either way the server answers on the loopback
interface only, and only with the token it prints (deploy/jupyter-settings/README.md says why root is allowed).

As root, the ordinary user is a real Unix login (tests/unix_users.py) with a copy of the course in their private
home and an environment built from uv.lock with a Python every user can run (/usr/bin/python3: uv's own Pythons
live in root's home). As an ordinary user, the root case is skipped.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import unix_users
from course import REPO
from test_browser import free_port
from tools import layout

UV = os.environ.get("UV") or shutil.which("uv")
SYSTEM_PYTHON = "/usr/bin/python3"
# What an ordinary user's copy needs to build the environment and to be the course.
COPIED = ["pyproject.toml", "uv.lock", "README.md", "deploy/jupyter-settings", f"notebooks/{layout.ASSIGNMENT}"]
STARTUP_SECONDS = 120


def wait_for_token(server, log, port):
    """The token from the URL the server prints once it listens (fails with its log if it never does)."""
    pattern = re.compile(rf"http://127\.0\.0\.1:{port}/lab\?token=(\w+)")
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        if found := pattern.search(log.read_text(errors="replace")):
            return found.group(1)
        time.sleep(0.5)
    pytest.fail("`uv run jupyter lab` did not start:\n" + log.read_text(errors="replace")[-3000:])


def get(url, token=None):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def listening_addresses(port):
    """Local addresses of the sockets listening on port (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 as /proc/net writes them


def check_server(command, cwd, port, log, **popen):
    """Start `uv run jupyter lab` (command), check what it serves and to whom, stop it."""
    with open(log, "w") as out:
        server = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **popen)
    try:
        token = wait_for_token(server, log, port)
        status, body = get(f"http://127.0.0.1:{port}/api/status", token)
        assert status == 200 and "started" in body, (status, body, log.read_text()[-2000:])
        assert get(f"http://127.0.0.1:{port}/api/status")[0] == 403, "the server must ask for its token"
        status, folder = get(f"http://127.0.0.1:{port}/api/contents/notebooks/{layout.ASSIGNMENT}", token)
        names = {item["name"] for item in folder["content"]}
        assert {path.name for path in layout.notebooks()} <= names, f"the course's notebooks are not served: {names}"
        addresses = listening_addresses(port)
        assert addresses and addresses <= LOOPBACK, f"the server must listen on the loopback interface only: {addresses}"
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def jupyter_lab(port):
    """The README's command, with only what a test needs: no browser, a free port."""
    return [UV, "run", "jupyter", "lab", "--no-browser", f"--port={port}"]


def test_root_opens_the_course(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("run the tests as root to check that root can open the course")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "VIRTUAL_ENV"))}
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    port = free_port()
    check_server(jupyter_lab(port), REPO, port, tmp_path / "server.log", env=env)


def test_an_ordinary_user_opens_the_course(tmp_path):
    if os.geteuid() != 0:  # the tests run as an ordinary user: that is the case
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
        env.update(JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
        return check_server(jupyter_lab(port), REPO, port, tmp_path / "server.log", env=env)
    if not unix_users.AVAILABLE:
        pytest.skip(unix_users.WHY_NOT)
    if not Path(SYSTEM_PYTHON).is_file():
        pytest.skip(f"needs {SYSTEM_PYTHON}, a Python that every user can run")
    with unix_users.temporary_users("lab") as logins:
        login = logins["lab"]
        home = Path(unix_users.home(login))
        course = home / "lab03"
        for name in COPIED:
            (course / name).parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if (REPO / name).is_dir() else shutil.copy)(REPO / name, course / name)
        (home / "bin").mkdir()
        shutil.copy(UV, home / "bin" / "uv")
        subprocess.run(["chown", "-R", f"{login}:", str(home)], check=True)
        # root builds the environment from its uv cache (the user would download the same packages), then hands
        # it over; chown first: uv sees a source whose inode changed after the install as stale
        subprocess.run([UV, "sync", "--locked", "--quiet", "--python", SYSTEM_PYTHON], cwd=course, check=True,
                       env={k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT"))})
        subprocess.run(["chown", "-R", f"{login}:", str(course / ".venv")], check=True)
        port = free_port()
        check_server(unix_users.as_user(login, [home / "bin" / "uv", *jupyter_lab(port)[1:]],
                                         env={"UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never"}),
                     course, port, tmp_path / "server.log")
