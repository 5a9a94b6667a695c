#| export
import numpy as np


def schedule_rates(steps, peak, floor, warmup, total, kind):
    """eta at every step count in `steps` (an array), in one closed form: np.clip for the progress,
    np.where for the phases. No branch on a single step; W = 0 and W = T need no special code path."""
    steps = np.asarray(steps, dtype=np.float64)
    ramp = steps / max(warmup, 1)  # only used where steps < warmup, so warmup > 0 there
    span = total - warmup
    progress = np.clip((steps - warmup) / span, 0.0, 1.0) if span > 0 else np.ones_like(steps)
    if kind == "cosine":
        decayed = floor + (peak - floor) * 0.5 * (1.0 + np.cos(np.pi * progress))
    else:
        decayed = peak + (floor - peak) * progress
    return np.where(steps < warmup, peak * ramp, decayed)


class LRScheduler:
    """A closed-form scheduler: every rate comes from one vectorised function of s (np.clip, np.where);
    the object only keeps a counter `t` and its settings in `self.cfg`. Its state is a flat dict with
    its own names ("t", "peak")."""

    KINDS = {"cosine", "linear"}

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, schedule="cosine", base_lr=None):
        peak = float(optimizer.lr if base_lr is None else base_lr)
        problems = []
        if warmup_steps < 0:
            problems.append(f"warmup_steps={warmup_steps} is negative")
        if total_steps <= 0:
            problems.append(f"total_steps={total_steps} is not positive")
        if warmup_steps > total_steps:
            problems.append(f"warmup_steps={warmup_steps} is longer than total_steps={total_steps}")
        if min_lr < 0 or min_lr > peak:
            problems.append(f"min_lr={min_lr} is outside [0, base_lr={peak}]")
        if schedule not in self.KINDS:
            problems.append(f"schedule={schedule!r} is not one of 'cosine', 'linear'")
        if problems:
            raise ValueError("; ".join(problems))
        self.opt = optimizer
        self.cfg = dict(peak=peak, floor=float(min_lr), warmup=int(warmup_steps), total=int(total_steps), kind=schedule)
        self.t = 0
        self.opt.lr = self.get_lr()

    def get_lr(self):
        return float(schedule_rates([self.t], **self.cfg)[0])

    def step(self):
        self.t += 1
        self.opt.lr = self.get_lr()
        return self.opt.lr

    def state_dict(self):
        return {"t": self.t, "peak": self.cfg["peak"]}

    def load_state_dict(self, state):
        self.t = int(state["t"])
        self.cfg["peak"] = float(state["peak"])
        self.opt.lr = self.get_lr()
