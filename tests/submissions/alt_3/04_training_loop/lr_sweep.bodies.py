# alt_3: plain Python floats and lists, numpy only for the result.
final, diverged = [], []
for peak_lr in peak_lrs:
    final.append([])
    diverged.append([])
    for seed in seeds:
        losses = [float(x) for x in run(peak_lr, seed)]
        tail = losses[-last:]
        final[-1].append(sum(tail) / len(tail))
        diverged[-1].append(any(not math.isfinite(x) or x > losses[0] + rise for x in losses))
shape = (len(peak_lrs), len(seeds))
return {"peak_lrs": list(peak_lrs), "seeds": list(seeds),
        "final": np.array(final, dtype=float).reshape(shape), "diverged": np.array(diverged, dtype=bool).reshape(shape)}
