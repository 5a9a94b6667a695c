"""What every benchmark here shares: interleaved timing with medians, and the result format.

A benchmark reports; it asserts nothing (the tests check behaviour). Contenders are timed
round-robin, one call of each in turn, so that the noise of a shared 2-core machine hits them
alike; the median of the rounds is reported and ratios are taken within one run.
"""
import importlib.util
import time

import numpy as np


def interleaved(contenders, rounds, warmup=1):
    """{name: median seconds of one call} over `rounds` round-robin calls of every contender.

    contenders: {name: function of no argument}. The first `warmup` rounds are not counted."""
    times = {name: [] for name in contenders}
    for round_ in range(warmup + rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            if round_ >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def torch_or_none():
    """The torch module if it can be imported, else None (PyTorch is never a dependency)."""
    if importlib.util.find_spec("torch") is None:
        return None
    import torch
    return torch


NO_TORCH = "PyTorch is not importable: no comparison (uv pip install torch, then run again)"


def section(title, rows, targets=(), notes=()):
    """A benchmark's result, as benchmarks/run.py prints it and writes it to JSON.

    rows: [{"name", "seconds"}, optionally "vs_course": the course's time divided by this row's];
    targets: [{"name", "value", "limit"}], met when value <= limit; notes: lines printed below."""
    targets = [{**t, "met": t["value"] <= t["limit"]} for t in targets]
    return {"title": title, "rows": list(rows), "targets": targets, "notes": list(notes)}


def versus(rows):
    """Add to every row the course's time (the first row) divided by the row's own."""
    return [{**row, "vs_course": rows[0]["seconds"] / row["seconds"]} for row in rows]
