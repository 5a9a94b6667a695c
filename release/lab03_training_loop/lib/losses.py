"""Cross-entropy loss of a language model, with its gradient (provided; not student work)."""
import numpy as np


def cross_entropy(logits, labels):
    """Mean cross-entropy over all label positions, and its gradient with respect to the logits.

    logits: (..., V) float array of unnormalised scores; labels: (...) integer array of class ids in
    [0, V). Returns (loss, grad_logits): loss is a Python float (nats per position), grad_logits has
    the shape and dtype of logits. Numerically stable: log-softmax through log-sum-exp. Non-finite
    logits give a non-finite loss (so that a training loop can skip the step), never an exception.

    With p = softmax(logits) and y the one-hot labels, d loss / d logits = (p - y) / N, N = labels.size.
    """
    logits, labels = np.asarray(logits), np.asarray(labels)
    if logits.shape[:-1] != labels.shape:
        raise ValueError(f"logits of shape {logits.shape} need labels of shape {logits.shape[:-1]}, got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integer class ids, got dtype {labels.dtype}")
    vocab = logits.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= vocab):
        raise ValueError(f"labels must be in [0, {vocab}), got values from {labels.min()} to {labels.max()}")
    with np.errstate(invalid="ignore", over="ignore"):  # inf/nan logits: a nan loss, reported, not a warning
        shifted = logits - logits.max(axis=-1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, labels[..., None], axis=-1)
    count = max(labels.size, 1)
    loss = -float(np.sum(picked, dtype=np.float64)) / count
    grad = np.exp(log_probs)  # softmax
    np.put_along_axis(grad, labels[..., None], np.exp(picked) - 1, axis=-1)  # minus the one-hot labels
    grad /= count
    return loss, grad
