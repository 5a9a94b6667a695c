#| export
def _warmup_fraction(s, warmup):
    """Fraction of the peak during warmup: s / W."""
    return s / warmup


def _progress(s, warmup, total):
    """Decay progress p in [0, 1]; p = 1 from the start when there is no decay phase (W = T)."""
    if total == warmup:
        return 1.0
    return min(max((s - warmup) / (total - warmup), 0.0), 1.0)


_DECAYS = {  # the share of (peak - floor) still left above the floor, as a function of p
    "cosine": lambda p: (1.0 + math.cos(math.pi * p)) / 2.0,
    "linear": lambda p: 1.0 - p,
}


class LRScheduler:
    """A scheduler assembled from small functions: the decay shape is looked up in a dict by name,
    the rate is floor + (peak - floor) * shape(p) in both cases. It counts calls in `n_steps` and keeps
    every setting in a nested dict that its state_dict copies whole."""

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, schedule="cosine", base_lr=None):
        if schedule not in _DECAYS:
            raise ValueError(f"unknown schedule {schedule!r}: choose from {sorted(_DECAYS)}")
        if warmup_steps < 0:
            raise ValueError("warmup_steps cannot be negative")
        if total_steps < 1:
            raise ValueError("total_steps must be at least 1")
        if warmup_steps > total_steps:
            raise ValueError("warmup_steps cannot exceed total_steps")
        peak = optimizer.lr if base_lr is None else base_lr
        if min_lr < 0:
            raise ValueError("min_lr cannot be negative")
        if min_lr > peak:
            raise ValueError(f"min_lr ({min_lr}) cannot exceed base_lr ({peak})")
        self._optimizer = optimizer
        self.settings = {"peak_lr": peak, "floor_lr": min_lr, "warmup": warmup_steps, "total": total_steps, "decay": schedule}
        self.n_steps = 0
        self._write()

    def _rate(self, s):
        cfg = self.settings
        if s < cfg["warmup"]:
            return cfg["peak_lr"] * _warmup_fraction(s, cfg["warmup"])
        shape = _DECAYS[cfg["decay"]](_progress(s, cfg["warmup"], cfg["total"]))
        return cfg["floor_lr"] + (cfg["peak_lr"] - cfg["floor_lr"]) * shape

    def _write(self):
        self._optimizer.lr = self._rate(self.n_steps)
        return self._optimizer.lr

    def get_lr(self):
        return self._rate(self.n_steps)

    def step(self):
        self.n_steps += 1
        return self._write()

    def state_dict(self):
        return {"n_steps": self.n_steps, "settings": dict(self.settings)}

    def load_state_dict(self, state):
        self.n_steps = state["n_steps"]
        self.settings = dict(state["settings"])
        self._write()
