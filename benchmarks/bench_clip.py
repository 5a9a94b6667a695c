"""Benchmark: lib.clip_gradients on 8 gradients of 4M float32 values, beside
torch.nn.utils.clip_grad_norm_ (when PyTorch is importable) and the memory-read bound.

    uv run python benchmarks/run.py --only clip

The gradients are scaled so that every call clips (the global norm is about 2000, max_norm 1.0),
then restored between calls by a multiplication of the same cost for both contenders, so each call
measures the norm plus the in-place scaling. The course accumulates the norm in float64 (float32
gradients near 1e19 must not overflow); PyTorch accumulates in float32. A third contender runs
clip_grad_norm_'s algorithm in torch with float64 accumulation, to separate the cost of that choice.
"""
import numpy as np

from lib import clip_gradients
from timing import NO_TORCH, interleaved, section, torch_or_none, versus

SIZE, COUNT = 4_000_000, 8


def run(tiny=False, rounds=15):
    size, rounds = (10_000, 3) if tiny else (SIZE, rounds)
    rng = np.random.default_rng(0)
    ours = [rng.standard_normal(size, dtype=np.float32) for _ in range(COUNT)]
    originals = [g.copy() for g in ours]

    def restore(grads):
        for g, original in zip(grads, originals):
            np.copyto(g, original)

    def clip_ours():
        restore(ours)
        clip_gradients(ours, 1.0)

    contenders = {"lib.clip_gradients": clip_ours}
    torch = torch_or_none()
    if torch:
        tensors = [torch.zeros(size, requires_grad=True) for _ in range(COUNT)]
        for t, g in zip(tensors, originals):
            t.grad = torch.from_numpy(g.copy())
        theirs = [t.grad.numpy() for t in tensors]

        def clip_theirs():
            restore(theirs)
            torch.nn.utils.clip_grad_norm_(tensors, 1.0)
        contenders["torch.nn.utils.clip_grad_norm_"] = clip_theirs

        def clip_theirs_float64():  # clip_grad_norm_'s algorithm, with the course's float64 accumulation
            restore(theirs)
            grads = [t.grad for t in tensors]
            norm = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g, dtype=torch.float64) for g in grads])))
            if norm > 1.0:
                torch._foreach_mul_(grads, 1.0 / (norm + 1e-6))
        contenders["torch, float64 accumulation (as the course)"] = clip_theirs_float64
    contenders["restore only (subtracted above)"] = lambda: restore(ours)
    median = interleaved(contenders, rounds)
    restore_time = median.pop("restore only (subtracted above)")
    # restore() is one copy of every gradient; the floor of clipping is 1.5 copies (read; read and write)
    rows = versus([{"name": name, "seconds": seconds - restore_time} for name, seconds in median.items()]
                  + [{"name": "memory-traffic floor (1.5 copies)", "seconds": 1.5 * restore_time}])
    if torch:
        return section(f"clip_gradients, {COUNT} x {size:,} float32 (median of {rounds} interleaved rounds)", rows,
                       [{"name": "clip time / torch clip_grad_norm_", "limit": 1.5,
                         "value": rows[0]["seconds"] / rows[1]["seconds"]}],
                       [f"lib.clip_gradients / torch with float64 accumulation: {rows[0]['seconds'] / rows[2]['seconds']:.2f}. "
                        "clip_grad_norm_ sums float32 squares (2 threads) and overflows to inf for gradients "
                        "near 1e19; the course's float64 sum costs a float32-to-float64 conversion of every "
                        "value, in numpy as in torch"])
    return section(f"clip_gradients, {COUNT} x {size:,} float32", rows, notes=[NO_TORCH])
