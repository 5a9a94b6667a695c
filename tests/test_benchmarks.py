"""Smoke test: the benchmark command runs on tiny sizes and writes every section (timings are not checked)."""
import json
import subprocess
import sys

from course import REPO


def test_benchmark_command_runs_on_tiny_sizes_and_writes_json(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "benchmarks/run.py", "--tiny", "--json", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert set(report["sections"]) == {"adamw", "clip", "trainer", "notebooks"}
    for name, section in report["sections"].items():
        assert section["rows"] and all(row["seconds"] > 0 for row in section["rows"]), (name, section)
        assert section["title"] in done.stdout
    assert report["sections"]["adamw"]["rows"][0]["name"] == "lib.AdamW"
    if report["machine"]["torch"] is None:
        assert "PyTorch is not importable" in done.stdout
