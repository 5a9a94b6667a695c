"""The two tiers (conftest.py) are chosen by markers, as pytest collects them: every test module is in exactly one
tier, the kinds of test that grade classes or start servers are in the full one, `uv run pytest` runs the quick
tier and `--full` everything, and in the full tier on the CI machine a skip fails unless the test says why."""
import os
import subprocess
import sys
import textwrap

import pytest

import tiers
from course import REPO
from tools import layout


@pytest.fixture(scope="module")
def everything():
    """[(tier, markers, node id)] of every test (--full), as pytest collects them."""
    return tiers.collected("--full")


def test_every_test_module_is_in_exactly_one_tier(everything):
    rows = everything
    found = tiers.modules(rows)
    both = sorted(module for module, (tier, _) in found.items() if tier == "both")
    assert not both, f"modules with tests in both tiers (mark the whole module with pytestmark): {both}"
    expected = {path.relative_to(REPO).as_posix() for path in (REPO / "tests").glob("test_*.py")}
    expected |= {path.relative_to(REPO).as_posix() for path in layout.notebooks()}
    assert expected <= set(found), f"modules that collect no test in either tier: {sorted(expected - set(found))}"
    expensive = sorted(nodeid for tier, markers, nodeid in rows if markers & set(tiers.EXPENSIVE) and tier != "full")
    assert not expensive, f"tests marked {tiers.EXPENSIVE} outside the full tier: {expensive[:5]}"


def test_the_quick_tier_is_every_test_not_marked_full(everything):
    quick = tiers.collected()
    assert {nodeid for _, _, nodeid in quick} == {nodeid for tier, _, nodeid in everything if tier == "quick"}
    assert any(tier == "full" for tier, _, _ in everything)


SKIPS = '''
import pytest

def test_skips_without_saying_why_it_may():
    pytest.skip("something is missing")

@pytest.mark.may_skip("this machine cannot have it")
def test_may_skip():
    pytest.skip("something is missing")
'''


def test_a_skip_in_the_full_tier_on_the_ci_machine_fails_unless_the_test_says_why(tmp_path):
    (tmp_path / "test_skips.py").write_text(textwrap.dedent(SKIPS))
    # The course's conftest.py loaded as a plugin into a run of this folder alone.
    command = [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-n0", "-rfs", "--full", str(tmp_path)]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    summary = done.stdout.splitlines()[-1]
    if sys.platform == "linux" and os.geteuid() == 0:  # the CI machine
        assert "1 failed, 1 skipped" in summary, done.stdout[-3000:]
        assert "skipped in the full tier on the CI machine: something is missing" in done.stdout, done.stdout[-3000:]
        assert "may_skip" in done.stdout
    else:
        assert "2 skipped" in summary, done.stdout[-3000:]
