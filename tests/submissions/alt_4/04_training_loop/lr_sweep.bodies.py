# alt_4: one flat list of runs from itertools.product, reshaped; the rise measured from the first loss.
import itertools

runs = [np.asarray(run(peak_lr, seed), dtype=np.float64) for peak_lr, seed in itertools.product(peak_lrs, seeds)]
shape = (len(peak_lrs), len(seeds))
final = np.reshape([np.mean(r[max(len(r) - last, 0):]) for r in runs], shape).astype(np.float64)
diverged = np.reshape([bool(np.any(~np.isfinite(r)) or np.any(r - r[0] > rise)) for r in runs], shape).astype(bool)
return dict(peak_lrs=list(peak_lrs), seeds=list(seeds), final=final, diverged=diverged)
