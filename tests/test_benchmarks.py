"""Smoke tests: the benchmark command runs on tiny sizes and writes every section (timings are not checked);
the class-grading benchmark's class can be handed in."""
import collections
import json
import subprocess
import sys

import course
from course import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import bench_class_grading  # noqa: E402


def test_benchmark_command_runs_on_tiny_sizes_and_writes_json(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "benchmarks/run.py", "--tiny", "--json", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert set(report["sections"]) == {"adamw", "clip", "trainer", "load", "notebooks"}
    for name, section in report["sections"].items():
        assert section["rows"] and all(row["seconds"] > 0 for row in section["rows"]), (name, section)
        assert section["title"] in done.stdout
    assert report["sections"]["adamw"]["rows"][0]["name"] == "lib.AdamW"
    if report["machine"]["torch"] is None:
        assert "PyTorch is not importable" in done.stdout


def test_only_replaces_its_sections_and_keeps_the_others(tmp_path):
    out = tmp_path / "results.json"
    kept = {"title": "an earlier run's adamw", "rows": [{"name": "lib.AdamW", "seconds": 1.0}], "targets": [], "notes": []}
    out.write_text(json.dumps({"command": "earlier", "sections": {"adamw": kept, "clip": {"title": "stale"}}}))
    done = subprocess.run([sys.executable, "benchmarks/run.py", "--only", "clip", "--tiny", "--json", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["sections"]["adamw"] == kept
    assert report["sections"]["clip"]["title"] != "stale" and report["sections"]["clip"]["rows"]
    assert report["command"].endswith("--only clip --tiny --json " + str(out))


def test_the_class_of_the_grading_benchmark_has_every_kind_and_its_edits_still_apply():
    kinds = bench_class_grading.kinds(40)
    counts = collections.Counter(kind.split("_")[0] for kind in kinds)
    assert len(kinds) == 40 and counts == {"reference": 16, "blank": 4, "partial": 10, "bug": 8, "hangs": 1, "not": 1}, counts
    reference = course.reference_answers()
    for kind in set(kinds):  # raises if an edit no longer matches the reference exactly once
        answers = bench_class_grading.answers(kind, reference)
        assert (answers == reference) == (kind in ("reference", "not_json")), kind
