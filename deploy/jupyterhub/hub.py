"""One course on one machine's JupyterHub: local Unix users, nbgrader's exchange between them, the hub.

    sudo deploy/jupyterhub/up.sh --students 3      # installs, then runs `hub.py up` (prints the logins)
    sudo deploy/jupyterhub/down.sh                 # runs `hub.py down`: the machine as it was

`up` follows nbgrader's "one class, one grader" set-up for JupyterHub, and does nothing it has not
recorded in PREFIX/state.json, so that `down` removes exactly that:
  - Unix users: an instructor and N students, each with a private home (mode 0700);
  - the exchange: a folder anyone may write but where no one may rename or delete another's entries
    (mode 1777, sticky, like /tmp; nbgrader's docs say 0777, which lets a student rename the course's
    folder and put a release of their own in its place);
  - the hub's environment, PREFIX/venv (up.sh builds it from uv.lock), and in it the course's
    system-wide nbgrader config (course id, exchange root) and the formgrader switched off; the
    instructor alone switches it back on, in their own ~/.jupyter;
  - the course, copied into the instructor's home: sources, solutions and gradebook, readable by them alone;
  - the hub itself, on 127.0.0.1, started in the background (its log: PREFIX/hub/jupyterhub.log).

Standard library only at import: `down` must work whatever state `up` left the machine in.
"""
import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from tools import layout  # noqa: E402

HERE = Path(__file__).resolve().parent
FORMGRADER_LAB = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment")
FORMGRADER_SERVER = "nbgrader.server_extensions.formgrader"
# An offline course server: JupyterLab asks no one for news or updates.
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
START_SECONDS = 60


def run(*command, user=None, cwd=None):
    """Run a command (as user, with their HOME, when given); raise with its output if it fails."""
    env = dict(os.environ)
    if user:
        home = pwd.getpwnam(user).pw_dir
        env.update(HOME=home, USER=user, LOGNAME=user)
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
            env.pop(var, None)
        command = ("runuser", "-u", user, "--", *command)
    done = subprocess.run(command, cwd=cwd or "/", env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout}{done.stderr}")
    return done.stdout


class State:
    """What `up` created, saved after every step (PREFIX/state.json), so `down` can undo it all."""

    def __init__(self, prefix):
        self.path = Path(prefix) / "state.json"
        self.data = json.loads(self.path.read_text()) if self.path.exists() else {"users": []}

    def __getitem__(self, key):
        return self.data[key]

    def get(self, key, default=None):
        return self.data.get(key, default)

    def record(self, **items):
        self.data.update(items)
        self.save()

    def add_user(self, name):
        self.data["users"].append(name)
        self.save()

    def save(self):
        self.path.write_text(json.dumps(self.data, indent=2) + "\n")
        self.path.chmod(0o600)


def user_names(user_prefix, students):
    return f"{user_prefix}instructor", [f"{user_prefix}student{i:02d}" for i in range(1, students + 1)]


def create_user(state, name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        pass
    else:
        raise SystemExit(f"user {name} already exists: choose another --user-prefix, or remove it")
    run("useradd", "--create-home", "--shell", "/bin/bash", "--comment", "lab03 hub (deploy/jupyterhub)", name)
    state.add_user(name)
    Path(pwd.getpwnam(name).pw_dir).chmod(0o700)  # Debian's default home is world-readable (0755)


def create_exchange(state, root):
    root = Path(root)
    if root.exists():
        raise SystemExit(f"{root} exists: give another --exchange, or remove it")
    root.mkdir(parents=True)
    state.record(exchange=str(root))
    root.chmod(0o1777)


def configure_environment(venv, course_id, exchange):
    """The hub's environment: system-wide nbgrader config, no formgrader, no news; read by every user."""
    etc = Path(venv) / "etc" / "jupyter"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "nbgrader_config.py").write_text(
        "# Written by deploy/jupyterhub/hub.py: every user of this hub's environment takes part in one course.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {course_id!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n")
    jupyter = str(Path(venv) / "bin" / "jupyter")
    for plugin in FORMGRADER_LAB:
        run(jupyter, "labextension", "disable", "--level=sys_prefix", plugin)
    for plugin in FORMGRADER_LAB:  # JupyterLab >= 4.1 locks what an earlier call disabled: the instructor could
        run(jupyter, "labextension", "unlock", "--level=sys_prefix", plugin)  # not turn it back on for themselves
    run(jupyter, "server", "extension", "disable", "--sys-prefix", FORMGRADER_SERVER)
    settings = Path(venv) / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=2) + "\n")


def install_course(instructor, venv):
    """Copy the course into the instructor's home and give them the formgrader, pointed at it."""
    from tools.handin import copy_course  # not at the top: `down` runs without the environment's packages

    home = Path(pwd.getpwnam(instructor).pw_dir)
    course = copy_course(home / layout.COURSE_ID, REPO)
    config = home / ".jupyter" / "nbgrader_config.py"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("# Written by deploy/jupyterhub/hub.py: the formgrader and nbgrader work on the course in ~/"
                      f"{layout.COURSE_ID}.\nc = get_config()  # noqa: F821\n"
                      f"load_subconfig({str(course / 'nbgrader_config.py')!r})  # noqa: F821\n")
    # What `jupyter server extension enable --user` would write, had its check not failed on nbgrader's
    # sub-extensions ("could not be found"): the user's config outranks the environment's.
    (config.parent / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {FORMGRADER_SERVER: True}}}, indent=2) + "\n")
    run("chown", "-R", f"{instructor}:", str(course), str(config.parent))
    jupyter = str(Path(venv) / "bin" / "jupyter")
    for plugin in FORMGRADER_LAB:
        run(jupyter, "labextension", "enable", "--level=user", plugin, user=instructor)
    return course


def hub_config(prefix, venv, proxy, port, instructor, students):
    """PREFIX/hub/jupyterhub_config.py: dummy logins on 127.0.0.1, one local process per user."""
    hub = Path(prefix) / "hub"
    return f'''# Written by deploy/jupyterhub/hub.py. Logins: DummyAuthenticator, one shared password, 127.0.0.1 only:
# for trying the course and for tests. In production use PAM, LTI or OAuth (README: Install on JupyterHub).
c = get_config()  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{port + 1}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{port + 2}"
c.ConfigurableHTTPProxy.command = [{str(proxy)!r}]
c.ConfigurableHTTPProxy.pid_file = {str(hub / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{hub / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(hub / "cookie_secret")!r}
c.JupyterHub.cleanup_servers = True

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = open({str(hub / "password")!r}).read().strip()
c.Authenticator.allowed_users = {set([instructor, *students])!r}
c.Authenticator.admin_users = {{{instructor!r}}}

# Every user's server: the course's locked environment (uv.lock), in their own home, as their own Unix user.
c.Spawner.cmd = [{str(Path(venv) / "bin" / "jupyterhub-singleuser")!r}]
c.Spawner.environment = {{"PATH": {f"{venv}/bin:/usr/local/bin:/usr/bin:/bin"!r}}}
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = {START_SECONDS}
c.Spawner.http_timeout = {START_SECONDS}
'''


def wait_for_hub(url, process, log):
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"JupyterHub exited with status {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/hub/api", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"JupyterHub did not answer within {START_SECONDS} s:\n{log.read_text()[-3000:]}")


def start_hub(state, prefix, venv, proxy, port, instructor, students):
    hub = Path(prefix) / "hub"
    hub.mkdir(mode=0o700)
    (hub / "password").write_text(secrets.token_urlsafe(12) + "\n")
    (hub / "password").chmod(0o600)
    (hub / "jupyterhub_config.py").write_text(hub_config(prefix, venv, proxy, port, instructor, students))
    log = hub / "jupyterhub.log"
    env = {"PATH": f"{venv}/bin:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    with open(log, "w") as out:
        process = subprocess.Popen([str(Path(venv) / "bin" / "jupyterhub"), "-f", str(hub / "jupyterhub_config.py")],
                                   cwd=hub, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    state.record(hub_pid=process.pid, port=port, url=f"http://127.0.0.1:{port}")
    wait_for_hub(state["url"], process, log)


def up(args):
    prefix, venv = Path(args.prefix), Path(args.prefix) / "venv"
    state = State(prefix)
    if state.get("hub_pid"):
        raise SystemExit(f"a hub from {prefix} is already up: run down.sh --prefix {prefix} first")
    instructor, students = user_names(args.user_prefix, args.students)
    state.record(prefix=str(prefix), course_id=layout.COURSE_ID, instructor=instructor, students=students)
    for name in [instructor, *students]:
        create_user(state, name)
    create_exchange(state, args.exchange)
    configure_environment(venv, layout.COURSE_ID, args.exchange)
    state.record(course=str(install_course(instructor, venv)))
    start_hub(state, prefix, venv, Path(args.proxy), args.port, instructor, students)
    print(json.dumps({key: state.get(key) for key in ("url", "instructor", "students", "course", "exchange")}, indent=2))
    print(f"password for every login: {(prefix / 'hub' / 'password').read_text().strip()} (in {prefix}/hub/password)")


def stop_hub(pid):
    """SIGTERM the hub's process group (it stops the proxy and every user's server), then SIGKILL."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(pid, signal.SIGKILL)


def remove_user(name):
    subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
    for _ in range(50):  # userdel refuses while a process of the user lives
        if subprocess.run(["pgrep", "-u", name], capture_output=True).returncode:
            break
        time.sleep(0.1)
    subprocess.run(["userdel", "--remove", name], capture_output=True)


def down(args):
    prefix = Path(args.prefix)
    if not (prefix / "state.json").exists():
        print(f"nothing to take down: no {prefix}/state.json")
        return
    state = State(prefix)
    if state.get("hub_pid"):
        stop_hub(state["hub_pid"])
    for name in state["users"]:
        remove_user(name)
    if state.get("exchange"):
        shutil.rmtree(state["exchange"], ignore_errors=True)
    shutil.rmtree(prefix, ignore_errors=True)
    print(f"removed {len(state['users'])} users, {state.get('exchange')} and {prefix}")


def arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("up")
    start.add_argument("--students", type=int, default=3)
    start.add_argument("--prefix", default="/opt/lab03-hub")
    start.add_argument("--exchange", default="/srv/nbgrader/exchange")
    start.add_argument("--port", type=int, default=8000, help="the hub's; it also takes the next two")
    start.add_argument("--user-prefix", default="lab03-", help="logins are PREFIXinstructor, PREFIXstudent01, ...")
    start.add_argument("--proxy", required=True, help="the configurable-http-proxy program")
    stop = sub.add_parser("down")
    stop.add_argument("--prefix", default="/opt/lab03-hub")
    return parser.parse_args(argv)


def main(argv=None):
    if os.geteuid() != 0:
        raise SystemExit("run as root (sudo): it creates Unix users and starts servers as them")
    args = arguments(argv)
    (up if args.command == "up" else down)(args)


if __name__ == "__main__":
    main()
