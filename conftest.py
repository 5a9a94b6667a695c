"""The suite's rules, for the tests in tests/ and the notebooks that nbval re-executes alike.

Two tiers, chosen by a marker (never by a list of files):

    uv run pytest            # the quick tier: every test not marked `full`
    uv run pytest --full     # every test: what .ci/run runs

A module is in the full tier when its `pytestmark` carries `pytest.mark.full` (tests/test_tiers.py checks
that no module is in both). Naming files, or a `-m` expression, runs what is named, whatever its tier.

No silent skips: every skip prints its reason (`-rs` in pyproject.toml), and in the full tier on the CI
machine (Linux, as root, with the packages .ci/run installs) a skip fails the run, unless the test is
marked `may_skip` with the reason it cannot run there.

Parallel: a worker per core (pytest-xdist, `-n auto`). Each module runs whole on one worker, in order
(its module fixtures are built once, a notebook's cells share one kernel). The modules start longest first,
by the times in benchmarks/test_times.json (`uv run python benchmarks/test_times.py` measures them), so that
the long ones do not end the run alone. Naming files runs them in this process, unless `-n` says otherwise.

Digits: the kernels started by the tests get tools.layout.reproducible_numerics(), the settings the
notebooks' committed outputs were made with.
"""
import json
import os
import sys
from pathlib import Path

import pytest

from tools.layout import reproducible_numerics

TIMES = Path(__file__).parent / "benchmarks" / "test_times.json"

os.environ.update(reproducible_numerics())  # before any kernel starts, and before this process imports numpy


def pytest_addoption(parser):
    parser.addoption("--full", action="store_true", default=False,
                     help="run every test, the full tier (CI): grading classes, the hub, the browser, real logins")


def pytest_configure(config):
    config.addinivalue_line("markers", "full: the full tier (`uv run pytest --full`, CI); set on a whole module")
    config.addinivalue_line("markers", "may_skip(reason): this test may skip on the CI machine, for the reason given")


def full_tier(config):
    return config.getoption("--full")


def tier_decides(config):
    """The quick tier leaves out `full` tests only where nothing else was asked for: no file named, no -m."""
    return not full_tier(config) and config.args_source == pytest.Config.ArgsSource.TESTPATHS and not config.option.markexpr


def pytest_report_header(config):
    if full_tier(config):
        return "tier: full (every test)"
    if tier_decides(config):
        return "tier: quick (the tests marked `full` are left out: `uv run pytest --full` runs every test)"
    return "tier: what the command line names"


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: a worker per core for the tiers and -m selections; none when files are named (quick to start)."""
    return 0 if config.args_source != pytest.Config.ArgsSource.TESTPATHS else os.cpu_count() or 1


def module_of(item):
    return item.nodeid.split("::")[0]


def recorded_seconds():
    """{module: seconds} of the last measured run (benchmarks/test_times.py); empty if there is none."""
    try:
        return {row["module"]: row["seconds"] for row in json.loads(TIMES.read_text())["modules"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def pytest_collection_modifyitems(config, items):
    if tier_decides(config):
        left_out = [item for item in items if item.get_closest_marker("full")]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if not item.get_closest_marker("full")]
    # The longest modules first, each module's tests in their own order (the sort is stable): pytest-xdist
    # (--dist loadfile --no-loadscope-reorder) hands the modules to the workers in this order.
    seconds = recorded_seconds()
    items.sort(key=lambda item: -seconds.get(module_of(item), 0.0))


def strict_skips(config):
    """The full tier as root on Linux: the CI machine, where every test can run."""
    return full_tier(config) and sys.platform == "linux" and os.geteuid() == 0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.skipped and not hasattr(report, "wasxfail") and strict_skips(item.config) and not item.get_closest_marker("may_skip"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = (f"skipped in the full tier on the CI machine: {reason}\n"
                           "Every test must run here (root, Linux, the packages .ci/run installs): install what it needs "
                           "in .ci/run, or mark it @pytest.mark.may_skip(\"why it cannot run on the CI machine\").")
