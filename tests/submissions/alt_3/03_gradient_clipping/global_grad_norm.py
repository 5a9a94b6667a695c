#| export
def global_grad_norm(gradients):
    """A correct global norm written independently: a scaled sum of squares (as BLAS's nrm2 does), which cannot
    overflow, even in float64. The total is kept as scale**2 * ssq, scale the largest |entry| so far.
    """
    scale, ssq = 0.0, 0.0
    saw_nan = saw_inf = False
    for g in gradients:
        a = np.abs(np.asarray(g, dtype=np.float64)).reshape(-1)
        if a.size == 0:
            continue
        if np.isnan(a).any():
            saw_nan = True
            continue
        if np.isinf(a).any():
            saw_inf = True
            continue
        biggest = float(a.max())
        if biggest == 0.0:
            continue
        if biggest > scale:  # a new largest entry: re-express the sum so far in units of it
            ssq *= (scale / biggest) ** 2
            scale = biggest
        ssq += float(np.sum((a / scale) ** 2))
    if saw_nan:
        return float("nan")
    if saw_inf:
        return float("inf")
    return scale * math.sqrt(ssq)
