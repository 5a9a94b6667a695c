#| export
def clip_gradients(gradients, max_norm):
    """A correct clip written independently: early returns, and each array overwritten through g[...] = g * factor."""
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive, not {max_norm}")
    before = global_grad_norm(gradients)
    if not math.isfinite(before) or before <= max_norm:
        return before  # nothing to do: small enough, or broken (the training loop skips the step)
    factor = max_norm / (before + 1e-6)
    for g in gradients:
        g[...] = g * factor
    return before
