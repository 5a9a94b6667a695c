#| export
import numpy as np


class LRScheduler:
    """A correct scheduler written independently of the reference: settings in a dict, numpy's clip,
    other attribute and state names."""

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, schedule="cosine", base_lr=None):
        peak = optimizer.lr if base_lr is None else base_lr
        if schedule not in ("cosine", "linear"):
            raise ValueError(f"schedule {schedule} unknown: use cosine or linear")
        if warmup_steps < 0 or total_steps <= 0 or warmup_steps > total_steps:
            raise ValueError("need 0 <= warmup_steps <= total_steps and total_steps > 0")
        if min_lr < 0 or min_lr > peak:
            raise ValueError("need 0 <= min_lr <= base_lr (the optimizer's lr unless given)")
        self.opt = optimizer
        self.config = {"peak": float(peak), "floor": float(min_lr), "warm": int(warmup_steps),
                       "total": int(total_steps), "kind": schedule}
        self.count = 0
        self.opt.lr = self.get_lr()

    def get_lr(self):
        c = self.config
        if self.count < c["warm"]:
            return c["peak"] * self.count / c["warm"]
        span = c["total"] - c["warm"]
        frac = 1.0 if span == 0 else float(np.clip((self.count - c["warm"]) / span, 0.0, 1.0))
        if c["kind"] == "linear":
            return c["peak"] + (c["floor"] - c["peak"]) * frac
        return c["floor"] + (c["peak"] - c["floor"]) * (math.cos(math.pi * frac) + 1) / 2

    def step(self):
        self.count += 1
        lr = self.get_lr()
        self.opt.lr = lr
        return lr

    def state_dict(self):
        return {"count": self.count, "config": dict(self.config)}

    def load_state_dict(self, state):
        self.count = state["count"]
        self.config = dict(state["config"])
        self.opt.lr = self.get_lr()
