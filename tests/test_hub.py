"""The course on a real JupyterHub, with real Unix users and nbgrader's exchange between them.

deploy/jupyterhub/up.sh brings up a hub on 127.0.0.1 with an instructor and 32 students (local users,
made for this test). The instructor generates and releases the lab from the formgrader in a browser.
Two students log in and fetch it from JupyterLab's Assignments panel; one types a correct AdamW in the
browser and submits, the other submits a wrong one from the command line, as their own user. Neither
can read what is not theirs. The instructor collects, grades with tools/grade.py and releases
feedback; each student fetches their own. Then the other 30 submit all at once while the instructor
collects. down.sh leaves nothing behind: no users, processes, folders or listening ports.
Screenshots: artifacts/hub/.

    uv run pytest -m hub          # as root (it creates users); skipped otherwise, with the reason

The tests run in file order and share one hub: each takes the course one step further.
"""
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import browsing
import course
import pytest
from browsing import CHROMIUM, chromium, new_page, write_user_settings
from course import ASSIGNMENT
from hostile import FULL
from mutants import MUTANTS

from tools import layout

DEPLOY = course.REPO / "deploy" / "jupyterhub"
MISSING = [tool for tool in ("useradd", "userdel", "runuser", "npm", "pkill") if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.full,
    pytest.mark.hub,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root: it creates Unix users and starts servers as them"),
    pytest.mark.skipif(bool(MISSING), reason=f"missing {MISSING} (apt-get install passwd util-linux procps npm)"),
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's Chromium is missing: apt-get install chromium (.ci/run does)"),
]
MUTANT = next(m for m in MUTANTS if m.name == "no_bias_correction")
SPAWN_MS = 120_000
CROWD = 30  # students who fetch and submit at once in the load test, beside the two of the walk-through
DENIED = "Permission denied"
FORMGRADER_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment")


def free_ports(count):
    """The first of `count` consecutive free ports on 127.0.0.1 (the hub, its API, the proxy's API)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        if first + count < 65536 and all(port_is_free(first + i) for i in range(count)):
            return first
    raise AssertionError("no free ports")


def listeners(port):
    """The command lines of the processes listening on a TCP port (/proc/net/tcp*, then each process's sockets). A port
    may be taken again at once by another test's process (a kernel); what matters is that none of the hub's listens."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(fields[9])
    commands = []
    for fd_folder in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) in {f"socket:[{inode}]" for inode in inodes} for fd in fd_folder.iterdir()):
                commands.append((fd_folder.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:  # a process that ended meanwhile
            continue
    return commands


def port_is_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def hub():
    tag = uuid.uuid4().hex[:6]
    prefix, exchange = Path(f"/opt/lab03-hubtest-{tag}"), Path(f"/srv/lab03-hubtest-{tag}-exchange")
    port = free_ports(3)
    up = subprocess.run(["bash", str(DEPLOY / "up.sh"), "--students", str(3 + CROWD), "--prefix", str(prefix),
                         "--exchange", str(exchange), "--port", str(port), "--user-prefix", f"t{tag}-"],
                        capture_output=True, text=True)
    state = json.loads((prefix / "state.json").read_text()) if (prefix / "state.json").exists() else {"users": []}
    hub = SimpleNamespace(prefix=prefix, exchange=exchange, port=port, venv=prefix / "venv", state=state,
                          uids={name: pwd.getpwnam(name).pw_uid for name in state["users"]})
    try:
        assert up.returncode == 0, f"up.sh failed:\n{up.stdout[-2000:]}\n{up.stderr[-3000:]}"
        hub.url, hub.course = state["url"], Path(state["course"])
        hub.instructor, hub.students = state["instructor"], state["students"]
        hub.password = (prefix / "hub" / "password").read_text().strip()
        for name in state["users"]:
            home = Path(pwd.getpwnam(name).pw_dir)
            write_user_settings(home)
            subprocess.run(["chown", "-R", f"{name}:", str(home / ".jupyter")], check=True)
        yield hub
    finally:
        hub.down = subprocess.run(["bash", str(DEPLOY / "down.sh"), "--prefix", str(prefix)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def browser(hub):
    with chromium() as browser:
        yield browser


def as_user(hub, user, *command, cwd=None):
    """Run a command as a Unix user of the hub, with their home and the hub's environment first on PATH."""
    home = pwd.getpwnam(user).pw_dir
    env = {"HOME": home, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
           "PATH": f"{hub.venv}/bin:/usr/local/bin:/usr/bin:/bin"}
    return subprocess.run([shutil.which("runuser"), "-u", user, "--", *command], cwd=cwd or home, env=env,
                          capture_output=True, text=True)


def nbgrader(hub, user, *args, cwd=None):
    done = as_user(hub, user, "nbgrader", *args, cwd=cwd)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} as {user} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done


def shot(page, name):
    browsing.shot(page, "hub", name)


def log_in(page, hub, user):
    """Log in at the hub's page; wait until the user's JupyterLab is up (the hub starts it on login)."""
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{re.escape(user)}/lab"), timeout=SPAWN_MS)
    page.locator(".jp-LabShell").wait_for(timeout=SPAWN_MS)
    page.locator(".jp-DirListing-content").wait_for()


def wait_until(condition, message, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.2)


def open_assignments(page):
    """Nbgrader > Assignment List: JupyterLab's Assignments panel."""
    page.locator(".lm-MenuBar-item", has_text=re.compile("^Nbgrader$")).click()
    page.locator(".lm-Menu-item", has_text="Assignment List").click()
    page.locator("#released_assignments_list").wait_for()


def disabled_plugins(page):
    """The JupyterLab plugins this user's server turns off (its page config)."""
    return page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).disabledExtensions")


def fetch_from_the_assignments_panel(page):
    open_assignments(page)
    released = page.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
    released.locator("button", has_text="Fetch").click()
    page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for()


def test_instructor_generates_and_releases_from_the_formgrader(hub, browser):
    with new_page(browser) as page:
        log_in(page, hub, hub.instructor)
        shot(page, "01_instructor_lab")
        assert not set(FORMGRADER_PLUGINS) & set(disabled_plugins(page)), "the instructor's formgrader is off"
        page.goto(f"{hub.url}/user/{hub.instructor}/formgrader")
        row = page.locator("tr", has_text=ASSIGNMENT).first
        row.wait_for()
        row.locator(".assign a").click()  # "Generate student version"
        page.get_by_text(f"Successfully created the student version of '{ASSIGNMENT}'").wait_for(timeout=SPAWN_MS)
        shot(page, "02_formgrader_generated")
        page.locator("#success-modal .modal-footer button").click()
        page.locator("#success-modal").wait_for(state="detached")
        row.locator(".release a").click()  # "Release"
        page.get_by_text(f"Successfully released '{ASSIGNMENT}'").wait_for()
        shot(page, "03_formgrader_released")
        page.locator("#success-modal .modal-footer button").click()
        assert not page.errors, page.errors
    released = hub.exchange / layout.COURSE_ID / "outbound" / ASSIGNMENT
    assert sorted(p.name for p in released.glob("*.ipynb")) == [f"{p.stem}.ipynb" for p in layout.notebooks()]


def test_students_fetch_from_the_panel_and_submit_from_the_browser_and_the_command_line(hub, browser):
    web, cli = hub.students[:2]  # both fetch in the browser; one works there, the other on the command line
    with new_page(browser) as page:
        log_in(page, hub, web)
        assert set(FORMGRADER_PLUGINS) <= set(disabled_plugins(page)), "students must not get the formgrader"
        assert page.request.get(f"{hub.url}/user/{web}/formgrader").status == 404
        fetch_from_the_assignments_panel(page)
        shot(page, "04_student_fetched")

        solution = course.solution_sources(course.SOURCE / "01_adamw.ipynb")["adamw"] + f"\n# typed by {web}"
        page.goto(f"{hub.url}/user/{web}/lab/tree/{ASSIGNMENT}/01_adamw.ipynb")
        cell = page.locator(".jp-CodeCell").filter(has=page.locator(".cm-content", has_text="class AdamW")).first
        cell.locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(solution)
        page.keyboard.press("Escape")
        page.keyboard.press("Control+s")
        saved = Path(pwd.getpwnam(web).pw_dir) / ASSIGNMENT / "01_adamw.ipynb"
        wait_until(lambda: f"# typed by {web}" in saved.read_text(), "the typed AdamW was not saved")
        shot(page, "05_student_typed")
        open_assignments(page)
        page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).locator("button", has_text="Submit").click()
        page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for()
        shot(page, "06_student_submitted")
        assert not page.errors, page.errors

    with new_page(browser) as page:
        log_in(page, hub, cli)
        fetch_from_the_assignments_panel(page)
    work = Path(pwd.getpwnam(cli).pw_dir) / ASSIGNMENT
    answers = MUTANT.answers(course.reference_answers())
    answers["01_adamw"] = {**answers["01_adamw"], "adamw": answers["01_adamw"]["adamw"] + f"\n# written by {cli}"}
    course.fill_in(work, answers)  # as root: what the student would type
    subprocess.run(["chown", "-R", f"{cli}:", str(work)], check=True)
    nbgrader(hub, cli, "submit", ASSIGNMENT)
    inbound = sorted(p.name.split("+")[0] for p in (hub.exchange / layout.COURSE_ID / "inbound").iterdir())
    assert inbound == sorted(hub.students[:2]), f"one submission per student, as that student: {inbound}"


def test_a_student_forges_a_submission_and_links_to_the_solutions(hub):
    """mallory puts in the inbound folder what `nbgrader submit` never makes: a newer submission in
    another student's name, and one of their own whose notebook is a link to the source notebook
    (which mallory cannot read, but the instructor's collect could)."""
    mallory, cli = hub.students[2], hub.students[1]
    inbound = hub.exchange / layout.COURSE_ID / "inbound"
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    forged, linked = inbound / f"{cli}+{ASSIGNMENT}+{later}+forged", inbound / f"{mallory}+{ASSIGNMENT}+{later}+linked"
    source = hub.course / layout.SOURCE_FOLDER / ASSIGNMENT / "01_adamw.ipynb"
    script = (f'mkdir "{forged}" "{linked}" && echo "forged by {mallory}" > "{forged}/01_adamw.ipynb" && '
              f'ln -s "{source}" "{linked}/01_adamw.ipynb" && echo "{later}" | tee "{forged}/timestamp.txt" > "{linked}/timestamp.txt" && '
              f'echo secret | tee "{forged}/submission_secret.txt" > "{linked}/submission_secret.txt"')
    done = as_user(hub, mallory, "sh", "-c", script)
    assert done.returncode == 0, done.stderr


def denied(hub, user, *command):
    """The error (strerror) a command gets as user, asserting that it failed with exactly one error."""
    done = as_user(hub, user, *command)
    assert done.returncode != 0, f"{user} could run {command}: {done.stdout[:300]}"
    (line,) = done.stderr.strip().splitlines()
    return line.rsplit(": ", 1)[1]


def test_students_cannot_read_what_is_not_theirs(hub):
    inbound = hub.exchange / layout.COURSE_ID / "inbound"
    submissions = {p.name.split("+")[0]: p for p in inbound.iterdir()}
    source = hub.course / layout.SOURCE_FOLDER / ASSIGNMENT / "01_adamw.ipynb"
    for me, other in (hub.students[:2], hub.students[1::-1]):
        theirs = submissions[other]
        # The inbound folder cannot be listed: the name of another's submission ends in 12 random
        # characters (nbgrader's add_random_string), and without them it is not found.
        assert denied(hub, me, "ls", str(inbound)) == DENIED
        guessed = inbound / "+".join(theirs.name.split("+")[:3]) / "01_adamw.ipynb"
        assert denied(hub, me, "cat", str(guessed)) == "No such file or directory"
        # The name is the only secret: nbgrader leaves the files readable (0644, in a 0777 folder), so
        # whoever learns the name can read them (the README says so). Collecting often narrows that window.
        assert as_user(hub, me, "cat", str(theirs / "01_adamw.ipynb")).returncode == 0
        other_home = Path(pwd.getpwnam(other).pw_dir)
        assert denied(hub, me, "ls", str(other_home)) == DENIED
        assert denied(hub, me, "cat", str(other_home / ASSIGNMENT / "01_adamw.ipynb")) == DENIED
        # The instructor's course: sources with solutions and hidden tests, the gradebook.
        assert denied(hub, me, "ls", str(hub.course)) == DENIED
        assert denied(hub, me, "cat", str(source)) == DENIED
        gradebook = hub.course / layout.GRADEBOOK
        assert gradebook.exists()
        assert denied(hub, me, "cat", str(gradebook)) == DENIED
        assert denied(hub, me, "cat", str(hub.prefix / "hub" / "password")) == DENIED


def test_instructor_collects_grades_and_students_fetch_their_own_feedback(hub, browser):
    web, cli = hub.students[:2]
    collected = nbgrader(hub, hub.instructor, "collect", ASSIGNMENT, cwd=hub.course).stderr
    mallory = hub.students[2]
    submitted = hub.course / layout.SUBMITTED_FOLDER
    assert f"written by {cli}" in (submitted / cli / ASSIGNMENT / "01_adamw.ipynb").read_text(), "the forgery was collected"
    assert not (submitted / mallory / ASSIGNMENT / "01_adamw.ipynb").exists(), "the link to the solutions was followed"
    assert f"is owned by {mallory}, not by {cli}; cheating attempt?" in collected, collected
    assert f"Not collected: 01_adamw.ipynb in {mallory}+" in collected, collected
    graded = as_user(hub, hub.instructor, "python", "tools/grade.py", ASSIGNMENT, cwd=hub.course)
    assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-3000:]
    nbgrader(hub, hub.instructor, "generate_feedback", ASSIGNMENT, cwd=hub.course)
    nbgrader(hub, hub.instructor, "release_feedback", ASSIGNMENT, cwd=hub.course)

    totals = {student: {nb: course.total(cells) for nb, cells in notebooks.items()}
              for student, notebooks in course.scores(hub.course).items()}
    assert totals[web]["01_adamw"] == (FULL["01_adamw"], FULL["01_adamw"]), totals[web]
    cells = course.scores(hub.course)[cli]["01_adamw"]
    assert totals[cli]["01_adamw"][0] < FULL["01_adamw"], totals[cli]
    assert all(cells[cell][0] == 0 for cell in MUTANT.must_fail), cells  # the mutant's own concept's tests
    assert sum(score for score, _ in totals[mallory].values()) == 0, totals[mallory]
    feedback_root = hub.exchange / layout.COURSE_ID / "feedback"
    assert denied(hub, web, "ls", str(feedback_root)) == DENIED

    with new_page(browser) as page:
        log_in(page, hub, web)
        open_assignments(page)
        page.locator("#submitted_assignments_list", has_text="(feedback available to fetch)").wait_for()
        page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).locator(
            "button", has_text="Fetch Feedback").first.click()
        page.locator("#submitted_assignments_list", has_text="(view feedback)").wait_for()
        shot(page, "07_student_fetched_feedback")
        (page_path,) = (Path(pwd.getpwnam(web).pw_dir) / ASSIGNMENT / "feedback").glob("*/01_adamw.html")
        relative = page_path.relative_to(pwd.getpwnam(web).pw_dir)
        page.goto(f"{hub.url}/user/{web}/files/{relative}")
        page.get_by_text("Test cell").first.wait_for()
        shot(page, "08_student_reads_feedback")
    nbgrader(hub, cli, "fetch_feedback", ASSIGNMENT)

    hidden = course.region_lines(course.HIDDEN_REGION, min_length=12)
    signatures = {web: f"typed by {web}", cli: f"written by {cli}"}
    for student in (web, cli):
        pages = sorted((Path(pwd.getpwnam(student).pw_dir) / ASSIGNMENT / "feedback").glob("*/*.html"))
        assert sorted(p.stem for p in pages) == [p.stem for p in layout.notebooks()], pages
        adamw = course.text_of(next(p for p in pages if p.stem == "01_adamw").read_text())
        score, maximum = totals[student]["01_adamw"]
        assert re.search(rf"Score:\s*{score:g}(\.0)?\s*/\s*{maximum:g}(\.0)?", adamw), f"{student}'s score is not on the page"
        other = cli if student == web else web
        assert signatures[student] in adamw and signatures[other] not in adamw, "feedback must be the student's own"
        text = "\n".join(course.text_of(p.read_text()) for p in pages)
        shown = sorted(hidden & {line.strip() for line in text.splitlines()})
        assert not shown, f"{student}'s feedback shows hidden-test code: {shown[:3]}"
    assert MUTANT.says in course.text_of(next(p for p in pages if p.stem == "01_adamw").read_text())


def submit_as(hub, student):
    """Fetch, sign and submit as student, on the command line; return (their submission's timestamp, seconds)."""
    start = time.monotonic()
    nbgrader(hub, student, "fetch_assignment", ASSIGNMENT)
    as_user(hub, student, "sh", "-c", f"echo $USER {uuid.uuid4().hex} > {ASSIGNMENT}/signature.txt")
    nbgrader(hub, student, "submit", ASSIGNMENT)
    (cached,) = (Path(pwd.getpwnam(student).pw_dir) / ".local/share/jupyter/nbgrader_cache" / layout.COURSE_ID).glob(
        f"{student}+{ASSIGNMENT}+*/timestamp.txt")
    return cached.read_text(), time.monotonic() - start


def collect_until(hub, done):
    """The instructor runs `collect --update` again and again while submissions arrive, then once more
    after the last; returns the log lines of every run and each run's seconds."""
    logs, seconds = [], []
    while True:
        last = done.is_set()
        start = time.monotonic()
        logs.append(nbgrader(hub, hub.instructor, "collect", "--update", ASSIGNMENT, cwd=hub.course).stderr)
        seconds.append(time.monotonic() - start)
        if last:
            return logs, seconds


def test_thirty_students_submit_at_once_while_the_instructor_collects(hub):
    crowd = hub.students[3:]
    assert len(crowd) == CROWD
    done = threading.Event()
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=1 + CROWD) as pool:
        collecting = pool.submit(collect_until, hub, done)
        submitting = {student: pool.submit(submit_as, hub, student) for student in crowd}
        submitted = {student: future.result() for student, future in submitting.items()}
        done.set()
        logs, collect_seconds = collecting.result()
    total = time.monotonic() - start

    collected = Counter(line.split("Collecting submission: ")[1].split()[0]
                        for log in logs for line in log.splitlines() if "Collecting submission: " in line)
    for student, (timestamp, _) in submitted.items():
        folder = hub.course / layout.SUBMITTED_FOLDER / student / ASSIGNMENT
        assert (folder / "timestamp.txt").read_text() == timestamp, f"{student}: collected another submission"
        assert (folder / "signature.txt").read_text().split()[0] == student, f"{student}'s folder holds another's work"
        released = sorted(p.name for p in (hub.course / layout.RELEASE_FOLDER / ASSIGNMENT).glob("*.ipynb"))
        assert sorted(p.name for p in folder.glob("*.ipynb")) == released, f"{student}: notebooks lost"
        assert collected[student] == 1, f"{student} was collected {collected[student]} times"
    figures = {"students": CROWD, "seconds_all": round(total, 1),
               "fetch_and_submit_seconds": sorted(round(s, 1) for _, s in submitted.values()),
               "collect_runs": len(collect_seconds), "collect_seconds": [round(s, 1) for s in collect_seconds]}
    (browsing.ARTIFACTS / "hub").mkdir(parents=True, exist_ok=True)
    (browsing.ARTIFACTS / "hub" / "load.json").write_text(json.dumps(figures, indent=1) + "\n")
    print(figures)


def test_down_leaves_nothing_behind(hub):
    uids = dict(hub.uids)
    done = subprocess.run(["bash", str(DEPLOY / "down.sh"), "--prefix", str(hub.prefix)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name, uid in uids.items():
        with pytest.raises(KeyError):
            pwd.getpwnam(name)
        assert subprocess.run(["pgrep", "-U", str(uid)], capture_output=True).returncode == 1, f"{name}'s processes live on"
        assert not Path("/home", name).exists()
    assert not hub.prefix.exists() and not hub.exchange.exists()
    alive = subprocess.run(["pgrep", "-af", str(hub.prefix)], capture_output=True, text=True).stdout
    assert not alive, f"processes started from {hub.prefix} live on:\n{alive}"
    held = {port: listeners(port) for port in range(hub.port, hub.port + 3)}
    assert not any(str(hub.prefix) in command for found in held.values() for command in found), (
        f"the hub or its proxy still listens: {held}")
