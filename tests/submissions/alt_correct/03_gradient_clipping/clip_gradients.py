#| export
def clip_gradients(gradients, max_norm):
    """A correct clip written independently: index loop, np.multiply with out=, other names."""
    if not max_norm > 0:
        raise ValueError("max_norm must be positive")
    total = global_grad_norm(gradients)
    if total > max_norm and total != float("inf"):  # nan > max_norm is False
        coef = max_norm / (total + 1e-6)
        for i in range(len(gradients)):
            np.multiply(gradients[i], coef, out=gradients[i])
    return total
