#| export
def global_grad_norm(gradients):
    """A correct global norm written independently: one float64 buffer filled array by array, then np.dot."""
    sizes = [np.size(g) for g in gradients]
    buffer = np.empty(sum(sizes), dtype=np.float64)
    start = 0
    for g, size in zip(gradients, sizes):
        buffer[start:start + size] = np.reshape(g, -1)  # the assignment converts to float64
        start += size
    return math.sqrt(float(np.dot(buffer, buffer)))
