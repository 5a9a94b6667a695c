final = np.empty((len(peak_lrs), len(seeds)))
diverged = np.empty((len(peak_lrs), len(seeds)), dtype=bool)
for i, peak_lr in enumerate(peak_lrs):
    for j, seed in enumerate(seeds):
        losses = np.array(run(peak_lr, seed), dtype=float)
        final[i, j] = np.mean(losses[-last:])
        with np.errstate(invalid="ignore"):
            diverged[i, j] = bool(np.isnan(losses).any() or np.isinf(losses).any() or (losses > losses[0] + rise).any())
return dict(peak_lrs=list(peak_lrs), seeds=list(seeds), final=final, diverged=diverged)
