"""Run the course's benchmarks, print one table, and write it as JSON.

    uv run python benchmarks/run.py                      # everything (about 4 minutes)
    uv run python benchmarks/run.py --only adamw clip    # some sections, replaced in the existing results.json
    uv run python benchmarks/run.py --tiny               # tiny sizes: checks the command works

Sections: adamw (bench_adamw.py), clip (bench_clip.py), trainer (bench_trainer.py), load
(bench_load.py: training beside a busy process), notebooks (bench_notebooks.py); each records when
it was measured, and the top of the file describes the last run. PyTorch rows appear when torch is
importable (it is never a dependency:
`uv pip install torch` adds it to the environment until the next `uv sync`). Benchmarks report;
they assert nothing, and the exit status is 0 whether targets are met or not.
"""
import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import numpy as np  # noqa: E402

import bench_adamw  # noqa: E402
import bench_clip  # noqa: E402
import bench_load  # noqa: E402
import bench_notebooks  # noqa: E402
import bench_trainer  # noqa: E402
from timing import torch_or_none  # noqa: E402

SECTIONS = {"adamw": bench_adamw, "clip": bench_clip, "trainer": bench_trainer, "load": bench_load,
            "notebooks": bench_notebooks}


def duration(seconds):
    return f"{seconds * 1e3:9.2f} ms" if seconds < 1 else f"{seconds:9.2f} s "


def print_section(result):
    print(f"\n{result['title']}")
    for row in result["rows"]:
        ratio = f"course / this {row['vs_course']:5.2f}" if "vs_course" in row else ""
        rate = f"   {row['steps_per_second']:6.0f} steps/s" if "steps_per_second" in row else ""
        print(f"  {row['name']:42s} {duration(row['seconds'])}   {ratio}{rate}")
    for target in result["targets"]:
        verdict = "met" if target["met"] else "MISSED"
        print(f"  target: {target['name']} = {target['value']:.2f} (at most {target['limit']}): {verdict}")
    for note in result["notes"]:
        print(f"  {note}")


def earlier_sections(path):
    """The sections of an existing results file, which a run of some sections keeps (an unreadable file: none)."""
    try:
        return json.loads(path.read_text())["sections"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--tiny", action="store_true", help="tiny sizes, one repeat: checks that the command works")
    parser.add_argument("--json", type=Path, default=HERE / "results.json", help="where to write the results")
    args = parser.parse_args()
    torch = torch_or_none()
    report = {
        "command": "uv run python benchmarks/run.py " + " ".join(sys.argv[1:]),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "python": platform.python_version(), "numpy": np.__version__,
                    "torch": torch.__version__ if torch else None},
        "sections": earlier_sections(args.json),
    }
    print(f"benchmarks: {report['machine']}")
    for name in args.only:
        report["sections"][name] = {**SECTIONS[name].run(tiny=args.tiny), "when": report["when"]}
        print_section(report["sections"][name])
    args.json.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nwritten to {args.json}")


if __name__ == "__main__":
    main()
