"""The course in a real browser: JupyterLab with nbgrader's extensions, driven through Debian's Chromium.

A student opens 01_adamw.ipynb from the kit, runs it and meets the stub's NotImplementedError in
the first test; types a correct AdamW into the student cell through the editor, runs again and sees
the visible tests pass and the plots render; presses nbgrader's Validate button and reads
"Success". The instructor's formgrader lists the assignment. Screenshots land in
artifacts/browser/ (look at them when a step fails).

    uv run pytest -m browser          # alone; skipped where /usr/bin/chromium is missing

Playwright drives the system Chromium (`executable_path`); it never downloads a browser.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

import browsing
import course
from browsing import CHROMIUM, chromium, new_page, write_user_settings
from course import ASSIGNMENT, RELEASE, SOURCE

pytestmark = [
    pytest.mark.full,
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's Chromium is missing: apt-get install chromium (.ci/run does)"),
]

STARTUP_SECONDS = 60
RUN_SECONDS = 90


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyter_lab(root, home):
    """A JupyterLab server on loopback, serving root with a fresh token; stopped whatever happens.

    Yields the base URL with the token (http://127.0.0.1:PORT/?token=...)."""
    env = course.quiet_env(home)
    write_user_settings(home)
    token, port = uuid.uuid4().hex, free_port()
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(Path(home) / "jupyter.log", "w")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(base, token, server, Path(home) / "jupyter.log")
        yield base, token
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def wait_for_server(base, token, server, log):
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"JupyterLab exited with status {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"JupyterLab did not answer within {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    with new_page(browser) as page:
        yield page


def shot(page, name):
    browsing.shot(page, "browser", name)


def run_all_and_wait(page):
    """Run > Run All Cells, then wait until no cell is queued or running."""
    page.locator(".lm-MenuBar-item", has_text=re.compile("^Run$")).click()
    page.locator(".lm-Menu-item", has_text=re.compile("^Run All Cells")).first.click()
    page.locator(".jp-InputPrompt", has_text="*").first.wait_for()
    page.wait_for_function("""() => {
        const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
        return prompts.length > 0 && prompts.every(p => !p.textContent.includes('*'));
    }""", timeout=RUN_SECONDS * 1000)


def validate(page):
    """Press nbgrader's Validate button (it saves, then runs nbgrader validate) and wait for its dialog."""
    page.locator(".jp-NotebookPanel-toolbar .validate-button").click()
    page.locator("#validation-message").wait_for(timeout=RUN_SECONDS * 1000)


def error_cells(page):
    """The first two lines of the code cells that show an error (a traceback), in notebook order: a test
    cell's `# checks: ...` line and its `# Test: ...` line."""
    cells = page.locator(".jp-CodeCell").filter(has=page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"))
    return ["\n".join(line.inner_text() for line in cell.locator(".cm-line").all()[:2]) for cell in cells.all()]


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    """JupyterLab in a copy of the student kit (release/), as a student's machine has it."""
    root = tmp_path_factory.mktemp("student")
    shutil.copytree(RELEASE, root / ASSIGNMENT, ignore=shutil.ignore_patterns("__pycache__"))
    with jupyter_lab(root, tmp_path_factory.mktemp("student-home")) as server:
        yield server


def test_student_runs_fills_in_and_validates_the_adamw_notebook(student_lab, page):
    base, token = student_lab
    page.goto(f"{base}/lab/tree/{ASSIGNMENT}/01_adamw.ipynb?token={token}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).wait_for(timeout=STARTUP_SECONDS * 1000)
    shot(page, "01_opened")

    # 1. As released: the stub raises NotImplementedError in the first test that calls it.
    run_all_and_wait(page)
    failing = error_cells(page)
    page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").first.scroll_into_view_if_needed()
    shot(page, "02_stub_fails")
    assert failing, "running the released notebook showed no error: the stub should raise NotImplementedError"
    assert "# Test: step() changes the given arrays in place" in failing[0], failing
    first_error = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").first
    assert "NotImplementedError" in first_error.inner_text()

    # Validating now fails, and the dialog says which test and why.
    validate(page)
    message = page.locator("#validation-message")
    shot(page, "03_validation_fails")
    assert "validation-failed" in message.get_attribute("class"), message.inner_text()
    assert "NotImplementedError" in message.inner_text()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    page.locator(".jp-Dialog").wait_for(state="detached")

    # 2. Type a correct AdamW into the student cell, through the editor.
    solution = course.solution_sources(SOURCE / "01_adamw.ipynb")["adamw"]
    student_cell = page.locator(".jp-CodeCell").filter(has=page.locator(".cm-content", has_text="class AdamW")).first
    student_cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(solution)
    page.keyboard.press("Escape")
    shot(page, "04_typed")
    run_all_and_wait(page)
    page.locator(".jp-OutputArea-output", has_text="✓").first.scroll_into_view_if_needed()
    shot(page, "05_tests_pass")
    assert error_cells(page) == [], "a cell still shows an error after typing a correct AdamW"
    passes = page.locator(".jp-OutputArea-output", has_text="✓").count()
    assert passes >= 3, f"the visible tests printed {passes} ✓ lines, expected one per visible test"
    images = page.locator(".jp-OutputArea-output img")
    assert images.count() >= 2, "the notebook's plots did not render as images"
    assert images.first.evaluate("img => img.naturalWidth") > 100
    images.first.scroll_into_view_if_needed()
    shot(page, "05_plot")

    # 3. nbgrader's Validate button (saves, then runs nbgrader validate on the server).
    validate(page)
    message = page.locator("#validation-message")
    shot(page, "06_validated")
    assert "validation-success" in message.get_attribute("class"), message.inner_text()
    assert "Success! Your notebook passes all the tests." in message.inner_text()
    assert not page.errors, f"JavaScript errors in the page: {page.errors}"


@pytest.fixture(scope="module")
def instructor_lab(tmp_path_factory):
    """JupyterLab in a copy of the course, as the instructor runs it."""
    root = course.copy_course(tmp_path_factory.mktemp("course"))
    home, exchange = tmp_path_factory.mktemp("instructor-home"), tmp_path_factory.mktemp("exchange")
    (home / ".jupyter").mkdir()
    (home / ".jupyter" / "nbgrader_config.py").write_text(f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
    with jupyter_lab(root, home) as server:
        yield server


def test_formgrader_lists_the_assignment(instructor_lab, page):
    base, token = instructor_lab
    page.goto(f"{base}/formgrader?token={token}")
    row = page.locator("#main_table .row, table tr", has_text=ASSIGNMENT).first
    row.wait_for()
    shot(page, "07_formgrader")
    assert ASSIGNMENT in row.inner_text()
    assert page.get_by_text("does not exist and could not be created").count() == 0, "formgrader sees no exchange"
