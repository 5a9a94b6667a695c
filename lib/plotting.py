"""Plot a training history (provided; not student work). matplotlib is imported only when plotting."""
import numpy as np


def moving_average(values, window):
    """Trailing mean over `window` values (shorter at the start), NaNs ignored."""
    values = np.asarray(values, dtype=float)
    ok = ~np.isnan(values)
    sums = np.cumsum(np.where(ok, values, 0.0))
    counts = np.cumsum(ok)
    sums[window:], counts[window:] = sums[window:] - sums[:-window], counts[window:] - counts[:-window]
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


def plot_history(history, max_grad_norm=None, smooth=100, title=None):
    """Three panels from a Trainer's history (a list of dicts): loss (train, smoothed, and validation),
    learning rate, and gradient norm before clipping (log scale, with the clipping threshold)."""
    import matplotlib.pyplot as plt

    train = [h for h in history if "loss" in h]
    val = [h for h in history if "val_loss" in h]
    steps = [h["step"] for h in train]
    fig, (ax_loss, ax_lr, ax_norm) = plt.subplots(1, 3, figsize=(13, 3.6))
    ax_loss.plot(steps, [h["loss"] for h in train], lw=0.3, alpha=0.4, color="C0")
    ax_loss.plot(steps, moving_average([h["loss"] for h in train], smooth), color="C0", label=f"train (mean of {smooth})")
    if val:
        ax_loss.plot([h["step"] for h in val], [h["val_loss"] for h in val], "o-", color="C1", ms=4, label="validation")
    ax_loss.set(xlabel="step", ylabel="loss (nats per character)")
    ax_loss.legend()
    ax_lr.plot(steps, [h["lr"] for h in train])
    ax_lr.set(xlabel="step", ylabel="learning rate used")
    ax_norm.semilogy(steps, [h["grad_norm"] for h in train], lw=0.5)
    if max_grad_norm is not None and np.isfinite(max_grad_norm):
        ax_norm.axhline(max_grad_norm, color="k", ls=":", lw=1, label="max_grad_norm")
        ax_norm.legend()
    ax_norm.set(xlabel="step", ylabel="gradient norm before clipping")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
