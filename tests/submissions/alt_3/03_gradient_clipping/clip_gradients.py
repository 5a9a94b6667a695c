#| export
def clip_gradients(gradients, max_norm):
    """A correct clip written independently: the factor as min(1, ...) inside the norm > max_norm branch (where it
    equals max_norm / (norm + 1e-6)), and the arrays written back with np.copyto."""
    if not (max_norm > 0):
        raise ValueError("clip_gradients needs a positive max_norm")
    norm = global_grad_norm(gradients)
    finite = norm == norm and norm != float("inf")
    if finite and norm > max_norm:
        factor = min(1.0, max_norm / (norm + 1e-6))
        for g in gradients:
            np.copyto(g, g * factor)
    return norm
