"""Which tier each test is in, as pytest itself collects it (the markers, never a list kept by hand).

    uv run python tests/tiers.py      # a line per module: its tier and how many tests

Loaded into a collection with `-p tiers`, it prints a line per test: `TIER <tier> <markers> <node id>`.
tests/test_tiers.py and benchmarks/test_times.py read those lines.
"""
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXPENSIVE = ("autograde", "browser", "hub", "lifecycle")  # kinds of test that belong in the full tier


def pytest_collection_finish(session):
    for item in session.items:
        markers = sorted({mark.name for mark in item.iter_markers()} & {"full", "may_skip", *EXPENSIVE})
        print(f"TIER {'full' if 'full' in markers else 'quick'} {','.join(markers) or '-'} {item.nodeid}")


def collected(*options):
    """[(tier, set of markers, node id)] of the tests that `pytest --collect-only OPTIONS` collects."""
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-n0", "-p", "tiers", *options], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)})
    rows = [line.split(" ", 3)[1:] for line in done.stdout.splitlines() if line.startswith("TIER ")]
    if done.returncode != 0 or not rows:
        raise RuntimeError(f"pytest --collect-only {' '.join(options)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return [(tier, set(markers.split(",")) - {"-"}, nodeid) for tier, markers, nodeid in rows]


def module_of(nodeid):
    return nodeid.split("::")[0]


def modules(rows):
    """{module: (tier, number of tests)}; a module whose tests are in both tiers has the tier 'both'."""
    tiers, counts = {}, Counter(module_of(nodeid) for _, _, nodeid in rows)
    for tier, _, nodeid in rows:
        tiers.setdefault(module_of(nodeid), set()).add(tier)
    return {module: (tiers[module].pop() if len(tiers[module]) == 1 else "both", counts[module]) for module in tiers}


if __name__ == "__main__":
    for module, (tier, count) in sorted(modules(collected("--full")).items(), key=lambda row: (row[1][0], row[0])):
        print(f"{tier:5} {count:4} {module}")
