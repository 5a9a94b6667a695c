"""Benchmark: lib.AdamW.step() on 8 parameters of 4M float32 values, beside torch.optim.AdamW
(foreach and fused, when PyTorch is importable) and the memory-copy bound.

    uv run python benchmarks/run.py --only adamw

The copy bound: np.copyto over every parameter reads and writes each once (2 passes over memory);
one AdamW step must at least read theta, g, m, v and write theta, m, v (7 passes), so no step can
take less than 3.5 copies: bytes moved per step divided by the measured copy bandwidth.
"""
import tracemalloc

import numpy as np

from lib import AdamW
from timing import NO_TORCH, interleaved, section, torch_or_none, versus

SIZE, COUNT = 4_000_000, 8


def run(tiny=False, rounds=15):
    size, rounds = (10_000, 3) if tiny else (SIZE, rounds)
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(size, dtype=np.float32) for _ in range(COUNT)]
    grads = [rng.standard_normal(size, dtype=np.float32) for _ in range(COUNT)]
    scratch = np.empty(size, dtype=np.float32)
    ours = AdamW([p.copy() for p in params], lr=1e-3, weight_decay=0.01)
    contenders = {"lib.AdamW": lambda: ours.step(grads)}
    torch = torch_or_none()
    for variant in ("foreach", "fused") if torch else ():
        tensors = [torch.from_numpy(p.copy()) for p in params]
        for t, g in zip(tensors, grads):
            t.grad = torch.from_numpy(g)
        contenders[f"torch.optim.AdamW({variant}=True)"] = torch.optim.AdamW(
            tensors, lr=1e-3, weight_decay=0.01, **{variant: True}).step
    contenders["memory copy, 2 passes"] = lambda: [np.copyto(scratch, p) for p in params]
    median = interleaved(contenders, rounds)

    tracemalloc.start()
    ours.step(grads)
    extra = tracemalloc.get_traced_memory()[1] / (size * 4)
    tracemalloc.stop()
    floor = 3.5 * median.pop("memory copy, 2 passes")
    rows = versus([{"name": name, "seconds": seconds} for name, seconds in median.items()]
                  + [{"name": "memory-traffic floor (3.5 copies)", "seconds": floor}])
    notes = [f"lib.AdamW allocates at most {extra:.2f}x one parameter during step()"]
    targets = []
    if torch:
        targets.append({"name": "AdamW time / torch foreach", "limit": 1.0,
                        "value": median["lib.AdamW"] / median["torch.optim.AdamW(foreach=True)"]})
        notes.append(f"lib.AdamW / torch fused: {median['lib.AdamW'] / median['torch.optim.AdamW(fused=True)']:.2f} "
                     "(fused: one pass over memory on 2 threads, every element's whole update in registers; "
                     "numpy: a pass per operation, on 1 thread, so the single-threaded floor above bounds it)")
    else:
        notes.append(NO_TORCH)
    return section(f"AdamW step, {COUNT} x {size:,} float32 (median of {rounds} interleaved rounds)",
                   rows, targets, notes)
