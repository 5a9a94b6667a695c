#| export
def clip_gradients(gradients, max_norm):
    """A correct clip written independently: the product computed in float64 and written back through g.flat,
    with a while loop over the indices."""
    if float(max_norm) <= 0.0:
        raise ValueError("max_norm <= 0")
    norm = global_grad_norm(gradients)
    if math.isnan(norm) or math.isinf(norm) or not norm > max_norm:
        return norm
    scale = np.float64(max_norm) / (norm + 1e-6)
    i = 0
    while i < len(gradients):
        g = gradients[i]
        g.flat = np.asarray(g, dtype=np.float64).reshape(-1) * scale  # cast back to g's dtype on assignment
        i += 1
    return norm
