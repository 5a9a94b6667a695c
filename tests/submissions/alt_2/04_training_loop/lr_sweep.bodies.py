# alt_2: nested comprehensions (rates outer, seeds inner), then whole-array tests of each run.
runs = [[np.asarray(run(peak_lr, seed), dtype=float) for seed in seeds] for peak_lr in peak_lrs]
final = np.array([[r[-last:].mean() for r in row] for row in runs], dtype=float).reshape(len(peak_lrs), len(seeds))
diverged = np.array([[not (np.all(np.isfinite(r)) and np.all(r <= r[0] + rise)) for r in row] for row in runs],
                    dtype=bool).reshape(len(peak_lrs), len(seeds))
return {"peak_lrs": list(peak_lrs), "seeds": list(seeds), "final": final, "diverged": diverged}
