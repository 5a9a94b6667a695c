#| export
class LRScheduler:
    """A table-driven scheduler: at construction (and on load) it precomputes the rate for every
    s = 0..T into a list, by stepping through the phases in a loop; afterwards a rate is a table
    look-up, at index min(s, T). Attributes and state use other names: position, peak_rate, table."""

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, schedule="cosine", base_lr=None):
        if schedule not in ("cosine", "linear"):
            raise ValueError(f"schedule must be 'cosine' or 'linear', not {schedule!r}")
        if not (0 <= warmup_steps <= total_steps and total_steps > 0):
            raise ValueError(f"need 0 <= warmup_steps <= total_steps, total_steps > 0; got {warmup_steps}, {total_steps}")
        peak_rate = optimizer.lr if base_lr is None else base_lr
        if not 0.0 <= min_lr <= peak_rate:
            raise ValueError(f"min_lr={min_lr} must lie between 0 and base_lr={peak_rate}")
        self.target = optimizer
        self.warmup, self.horizon, self.floor, self.shape = warmup_steps, total_steps, min_lr, schedule
        self.position = 0
        self._build(peak_rate)
        self.target.lr = self.table[0]

    def _build(self, peak_rate):
        """table[s] = eta(s) for s = 0..T; every later s uses table[T], where p = 1 (min_lr)."""
        self.peak_rate = peak_rate
        W, T, low = self.warmup, self.horizon, self.floor
        table = []
        for s in range(T + 1):
            if s < W:
                table.append(peak_rate * s / W)
                continue
            frac = 1.0 if T == W else (s - W) / (T - W)
            if self.shape == "cosine":
                table.append(low + (peak_rate - low) * (1 + math.cos(math.pi * frac)) / 2)
            else:
                table.append(peak_rate - (peak_rate - low) * frac)
        self.table = table

    def get_lr(self):
        return self.table[min(self.position, self.horizon)]

    def step(self):
        self.position += 1
        rate = self.get_lr()
        self.target.lr = rate
        return rate

    def state_dict(self):
        return {"position": self.position, "peak_rate": self.peak_rate,
                "settings": [self.warmup, self.horizon, self.floor, self.shape]}

    def load_state_dict(self, state):
        self.warmup, self.horizon, self.floor, self.shape = state["settings"]
        self.position = state["position"]
        self._build(state["peak_rate"])
        self.target.lr = self.get_lr()
