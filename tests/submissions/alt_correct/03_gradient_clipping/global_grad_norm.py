#| export
def global_grad_norm(gradients):
    """A correct global norm written independently: one float64 vector, then np.linalg.norm."""
    if len(gradients) == 0:
        return 0.0
    flat = np.concatenate([np.asarray(g, dtype=np.float64).reshape(-1) for g in gradients])
    return float(np.linalg.norm(flat))
