"""Benchmark: lib.AdamW.step() on 8 parameters of 4M float32 values, beside torch.optim.AdamW
(foreach and fused, when PyTorch is importable) and a memory-copy bound.

    uv run python benchmarks/bench_adamw.py [--rounds 15]

Measurements are interleaved round-robin, so that machine noise hits every contender alike, and
reported as medians. A benchmark reports; it asserts nothing (the tests check behaviour).
The copy bound: np.copyto over every parameter reads and writes each once (2 passes); one AdamW
step must at least read theta, g, m, v and write theta, m, v (7 passes), so its floor is 3.5 copies.
"""
import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib import AdamW  # noqa: E402

SIZE, COUNT = 4_000_000, 8


def contenders(rng):
    params = [rng.standard_normal(SIZE, dtype=np.float32) for _ in range(COUNT)]
    grads = [rng.standard_normal(SIZE, dtype=np.float32) for _ in range(COUNT)]
    scratch = np.empty(SIZE, dtype=np.float32)
    ours = AdamW([p.copy() for p in params], lr=1e-3, weight_decay=0.01)
    found = {
        "lib.AdamW": lambda: ours.step(grads),
        "memory copy (2 passes)": lambda: [np.copyto(scratch, p) for p in params],
    }
    try:
        import torch
    except ImportError:
        return found, ours, grads, None
    for variant in ("foreach", "fused"):
        tensors = [torch.from_numpy(p.copy()) for p in params]
        for t, g in zip(tensors, grads):
            t.grad = torch.from_numpy(g)
        opt = torch.optim.AdamW(tensors, lr=1e-3, weight_decay=0.01, **{variant: True})
        found[f"torch.optim.AdamW({variant}=True)"] = opt.step
    return found, ours, grads, torch.__version__


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    found, ours, grads, torch_version = contenders(np.random.default_rng(0))
    times = {name: [] for name in found}
    for fn in found.values():
        fn()  # warm up: first-touch page faults, lazy state
    for _ in range(rounds):
        for name, fn in found.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    median = {name: float(np.median(t)) for name, t in times.items()}
    tracemalloc.start()
    ours.step(grads)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    print(f"AdamW step, {COUNT} x {SIZE:,} float32 values; numpy {np.__version__}, torch {torch_version or 'not installed'}; "
          f"median of {rounds} interleaved rounds")
    ref = median["lib.AdamW"]
    for name, seconds in median.items():
        print(f"  {name:34s} {seconds * 1e3:8.1f} ms   ({seconds / ref:4.2f}x the time of lib.AdamW)")
    floor = 3.5 * median["memory copy (2 passes)"]
    print(f"  traffic floor of one step (3.5 copies): {floor * 1e3:.1f} ms; lib.AdamW is {ref / floor:.1f}x the floor")
    print(f"  extra memory during lib.AdamW.step(): {peak / (SIZE * 4):.2f} x one parameter")
    if torch_version:
        print(f"  ratio to torch foreach: {ref / median['torch.optim.AdamW(foreach=True)']:.2f} (target <= 1.0); "
              f"to torch fused: {ref / median['torch.optim.AdamW(fused=True)']:.2f}")


if __name__ == "__main__":
    main()
