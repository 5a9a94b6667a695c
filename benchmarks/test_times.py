"""Where the test suite's time goes: seconds per test module, from a `pytest --durations=0` run.

    uv run python benchmarks/test_times.py --full --write     # run every test, print the table, save it
    uv run python benchmarks/test_times.py                    # the quick tier
    uv run python benchmarks/test_times.py --log ci.log       # read a saved run's output instead of running one
    uv run python benchmarks/test_times.py --table            # the saved table, as the README shows it

A module's seconds are the sum of its tests' set-up, call and tear-down times: what the module costs a worker,
whichever worker ran it; the run's wall time is pytest's own. `--write` keeps the rows of the modules the run
did not measure (a quick run keeps the full tier's) in benchmarks/test_times.json, which conftest.py also
reads to start the longest modules first. Like every benchmark, it reports and asserts nothing.
"""
import argparse
import datetime
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
import tiers  # noqa: E402

TIMES = HERE / "test_times.json"
DURATION = re.compile(r"^(\d+(?:\.\d+)?)s (setup|call|teardown)\s+(.+)$")
SUMMARY = re.compile(r"^=+ (.*) in (\d+(?:\.\d+)?)s")


def parse(log):
    """({module: seconds}, wall seconds, summary) of a pytest output with --durations=0."""
    seconds, wall, summary = defaultdict(float), None, ""
    for line in log.splitlines():
        if found := DURATION.match(line.strip()):
            seconds[tiers.module_of(found.group(3).strip())] += float(found.group(1))
        elif found := SUMMARY.match(line.strip()):
            summary, wall = found.group(1), float(found.group(2))
    return dict(seconds), wall, summary


def run_pytest(full, extra):
    """pytest's whole output, shown as it runs."""
    command = [sys.executable, "-m", "pytest", *(["--full"] if full else []), "--durations=0", *extra]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        lines.append(line)
    process.wait()
    return "".join(lines)


def commit():
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def table(report):
    """The README's markdown table of a saved report."""
    rows = sorted(report["modules"], key=lambda row: -row["seconds"])
    total = sum(row["seconds"] for row in rows)
    lines = ["| module | tier | tests | seconds | share |", "|---|---|---:|---:|---:|"]
    lines += [f"| `{row['module']}` | {row['tier']} | {row['tests']} | {row['seconds']:.1f} | {row['seconds'] / total:.0%} |"
              for row in rows]
    lines.append(f"| all modules | | {sum(row['tests'] for row in rows)} | {total:.1f} | |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="run the full tier (default: the quick tier)")
    parser.add_argument("--log", type=Path, help="read this saved pytest output (run with --durations=0) instead of running")
    parser.add_argument("--write", action="store_true", help=f"save the table in {TIMES.relative_to(REPO)}")
    parser.add_argument("--table", action="store_true", help="print the saved table and stop")
    parser.add_argument("pytest_args", nargs="*", help="more arguments for pytest (after --)")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(TIMES.read_text())))
        return
    log = args.log.read_text(errors="replace") if args.log else run_pytest(args.full, args.pytest_args)
    seconds, wall, summary = parse(log)
    found = tiers.modules(tiers.collected("--full"))  # {module: (tier, tests)} as the suite stands now
    measured = [{"module": module, "tier": found.get(module, ("gone", 0))[0], "tests": found.get(module, ("gone", 0))[1],
                 "seconds": round(seconds[module], 1)} for module in seconds]
    report = {"measured": datetime.date.today().isoformat(), "commit": commit(), "wall_seconds": wall, "summary": summary,
              "source": f"saved output {args.log.name}" if args.log else "pytest " + " ".join((["--full"] if args.full else []) + args.pytest_args),
              "modules": measured}
    print(f"\n{summary} in {wall} s (wall)\n" if wall else "")
    print(table(report))
    if args.write:
        try:
            kept = [row for row in json.loads(TIMES.read_text())["modules"] if row["module"] not in seconds]
        except (OSError, ValueError, KeyError):
            kept = []
        report["modules"] = sorted(measured + kept, key=lambda row: -row["seconds"])
        TIMES.write_text(json.dumps(report, indent=1) + "\n")
        print(f"\nwritten: {TIMES.relative_to(REPO)}")


if __name__ == "__main__":
    main()
