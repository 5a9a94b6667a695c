"""What the browser tests share: Debian's Chromium driven by Playwright (it never downloads a browser),
JupyterLab settings for a machine without network, and screenshots in artifacts/."""
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from course import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", REPO / "artifacts"))
# Every cell in the DOM (JupyterLab 4 otherwise renders only the cells near the viewport), and no
# news or update checks: the machine has no network beyond the package registries.
USER_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": '{"fetchNews": "false", "checkForUpdates": false}',
}


def write_user_settings(home):
    """Put USER_SETTINGS in home's JupyterLab settings; return the paths written."""
    written = []
    for name, text in USER_SETTINGS.items():
        path = Path(home) / ".jupyter" / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


@contextmanager
def chromium():
    """Headless Chromium, without the background connections a closed network refuses."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_page(browser):
    """A page in a fresh context (no cookies shared with other pages); page.errors lists its JavaScript errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


def shot(page, folder, name):
    """Screenshot of the page's viewport: artifacts/<folder>/<name>.png."""
    (ARTIFACTS / folder).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / folder / f"{name}.png"), full_page=False)
