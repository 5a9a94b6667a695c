#| export
def global_grad_norm(gradients):
    """A correct global norm written independently: each array's norm in float64, then math.hypot over those norms.

    hypot combines lengths without squaring them, so even the running total cannot overflow.
    """
    lengths = [float(np.linalg.norm(np.asarray(g).astype(np.float64).ravel())) for g in gradients]
    return math.hypot(*lengths)  # hypot() of nothing is 0.0
