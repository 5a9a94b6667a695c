"""Test doubles for notebook 04: a model, a loss, a clipping function, an optimizer and a scheduler that
record every call, so that the tests can check what your Trainer does, and in which order, whatever the
state of your AdamW, your LRScheduler, your clip_gradients or the real model. Also a tiny real model,
optimizer, schedule and data stream for the checkpoint test. Provided code, replaced by the
instructor's copy at grading time.

How the spy model and loss behave, so that you can work out what a test expects:

- forward(input_ids) gives every row of the batch one number, x = the mean of its input ids, and
  returns logits of shape (rows, 3) holding x;
- the spy loss returns the values of `losses` in turn (the last one repeats) and, like the gradient of a
  mean over the N labels, a grad_logits whose every row sums to 1 / N;
- backward(grad_logits) is linear in grad_logits, like a real backward pass: the gradients are
  grad_norm * sum(grad_logits * x) times a fixed direction of norm 1 (its two arrays have norms 0.6
  and 0.8). So for a whole batch they have the known global norm grad_norm * (the mean input id of
  the batch) (`gradients()` below), and backward(c * grad_logits) returns c times the gradients of
  backward(grad_logits);
- the spy optimizer records what each step() receives, then moves every parameter by lr against
  the sign of its gradient, in place (theta -= lr * sign(gradient): Adam's first step), so that
  every applied step changes the parameters by a known amount that is not lr * gradient.
"""
import math

import numpy as np


def doubles(grad_norm=10.0, losses=(2.0,), lr=0.1, dtype=np.float64):
    """(model, optimizer, scheduler, loss_fn, clip_fn, calls) sharing one list of calls, in order.

    The model's gradients for a whole batch have global norm grad_norm times the mean input id of the
    batch; the loss function returns the values of `losses` in turn (the last one repeats); clip_fn is
    a correct clip_gradients (notebook 03's contract); the optimizer updates the model's
    parameters (arrays of `dtype`) in place; the scheduler halves the optimizer's lr at every step() and
    returns the new value.
    """
    calls = []
    model = SpyModel(calls, grad_norm, dtype)
    optimizer = SpyOptimizer(calls, lr, model.parameters())
    return model, optimizer, SpyScheduler(calls, optimizer), SpyLoss(calls, losses), SpyClip(calls), calls


def batch(rows=4, context=2, ids=None):
    """{'input_ids': (rows, context) ints (all 1 unless given), 'labels': (rows,) zeros}."""
    input_ids = np.ones((rows, context), dtype=np.int64) if ids is None else np.asarray(ids)
    return {"input_ids": input_ids, "labels": np.zeros(len(input_ids), dtype=np.int64)}


_copy, _sign = np.array, np.sign  # bound once (see global_norm)


def names(calls):
    """The names of the recorded calls, in order: 'forward', 'loss', 'backward', 'clip', 'zero_grad',
    'optimizer.step', 'scheduler.step'."""
    return [call[0] for call in calls]


def global_norm(arrays, _sqrt=np.sqrt, _sum=np.sum, _square=np.square):
    # numpy's functions bound once, when this module is imported: later monkeypatching changes nothing
    return float(_sqrt(sum(_sum(_square(a, dtype=np.float64)) for a in arrays)))


def gradients(grad_norm, input_ids):
    """The gradients SpyModel(grad_norm) gives for the whole batch input_ids with the spy loss's
    grad_logits: the fixed direction times grad_norm * (the mean input id)."""
    scale = grad_norm * float(np.mean(np.asarray(input_ids, dtype=np.float64)))
    return [direction * scale for direction in SpyModel.DIRECTION]


def clip_to_norm(arrays, max_norm, _isfinite=math.isfinite):
    """A known-good clip_gradients: scale the arrays in place by max_norm / (norm + 1e-6) when their
    global norm is finite and above max_norm; return the norm they had before."""
    before = global_norm(arrays)
    if _isfinite(before) and before > max_norm:
        shrink = max_norm / (before + 1e-6)
        for array in arrays:
            np.multiply(array, shrink, out=array)
    return before


class SpyModel:
    """Two parameters; forward returns (B, 3) logits; backward returns a gradient per parameter,
    linear in grad_logits."""

    DIRECTION = [np.full(4, 0.3), np.full((2, 3), np.sqrt(0.64 / 6))]  # norms 0.6 and 0.8: global norm 1

    def __init__(self, calls, grad_norm, dtype=np.float64):
        self.calls, self.grad_norm = calls, grad_norm
        # not parallel to DIRECTION: a step turns each array, not only shrinks it
        self.weights = [np.array([1.0, -2.0, 3.0, 0.5], dtype=dtype),
                        np.array([[2.0, -1.0, 0.5], [1.0, 1.5, -3.0]], dtype=dtype)]

    def parameters(self):
        return self.weights

    def forward(self, input_ids):
        input_ids = _copy(input_ids, dtype=np.float64)
        self.x = input_ids.mean(axis=1)  # one number per row
        logits = np.repeat(self.x[:, None], 3, axis=1)
        self.calls.append(("forward", input_ids, logits.copy()))
        return logits

    def backward(self, grad_logits):
        grad_logits = _copy(grad_logits, dtype=np.float64)
        self.calls.append(("backward", grad_logits))
        scale = self.grad_norm * float(np.sum(grad_logits * self.x[:, None]))
        return [direction * scale for direction in self.DIRECTION]


class SpyLoss:
    def __init__(self, calls, losses):
        self.calls, self.losses = calls, list(losses)

    def __call__(self, logits, labels):
        value = self.losses[0] if len(self.losses) == 1 else self.losses.pop(0)
        rows, width = np.shape(logits)
        grad_logits = np.full((rows, width), 1.0 / (width * max(rows, 1)))  # each row sums to 1 / N
        self.calls.append(("loss", _copy(logits), _copy(labels)))
        return value, grad_logits


class SpyClip:
    """clip_fn(gradients, max_norm): clip_to_norm, recording the call ('clip', norm before, max_norm)."""

    def __init__(self, calls):
        self.calls = calls

    def __call__(self, arrays, max_norm):
        norm_before = clip_to_norm(arrays, max_norm)
        self.calls.append(("clip", norm_before, max_norm))
        return norm_before


class SpyOptimizer:
    """Records, for every step(), a copy of the gradient values it receives, their global norm and the lr;
    then updates the parameters in place as Adam's first step does: theta -= lr * sign(gradient)."""

    def __init__(self, calls, lr, params):
        self.calls, self.lr, self.params, self.received = calls, lr, params, []

    def zero_grad(self):
        self.calls.append(("zero_grad",))

    def step(self, gradients):
        values = [_copy(g, dtype=np.float64) for g in gradients]
        self.received.append({"lr": self.lr, "values": values, "norm": global_norm(values)})
        for param, g in zip(self.params, values):
            param -= (self.lr * _sign(g)).astype(param.dtype)
        self.calls.append(("optimizer.step",))

    def state_dict(self):
        return {"lr": self.lr}

    def load_state_dict(self, state):
        self.lr = state["lr"]


class SpyScheduler:
    def __init__(self, calls, optimizer):
        self.calls, self.optimizer = calls, optimizer

    def step(self):
        self.optimizer.lr = halved = self.optimizer.lr * 0.5
        self.calls.append(("scheduler.step",))
        return halved

    def get_lr(self):
        return float(self.optimizer.lr)

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


class LinearModel:
    """A real (tiny) model: logits = (sum of the one-hot input ids) @ W + b, for the checkpoint test."""

    def __init__(self, vocab=5, seed=0):
        rng = np.random.default_rng(seed)
        self.vocab, self.W, self.b = vocab, rng.standard_normal((vocab, vocab)), np.zeros(vocab)

    def parameters(self):
        return [self.W, self.b]

    def forward(self, input_ids):
        self.x = np.eye(self.vocab)[np.asarray(input_ids)].sum(axis=1)
        return self.x @ self.W + self.b

    def backward(self, grad_logits):
        return [self.x.T @ grad_logits, grad_logits.sum(axis=0)]


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy and its gradient (a short copy for the tests; the course's is lib.cross_entropy)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = len(labels)
    grad = probs.copy()
    grad[np.arange(n), labels] -= 1
    return float(-np.mean(np.log(probs[np.arange(n), labels]))), grad / n


class MomentumSGD:
    """A real optimizer with state, for the checkpoint test."""

    def __init__(self, params, lr=0.1, momentum=0.9):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.velocity = [np.zeros_like(p) for p in params]

    def zero_grad(self):
        pass

    def step(self, gradients):
        for p, v, g in zip(self.params, self.velocity, gradients):
            v *= self.momentum
            v += g
            p -= self.lr * v

    def state_dict(self):
        return {"lr": self.lr, "velocity": [v.copy() for v in self.velocity]}

    def load_state_dict(self, state):
        self.lr, self.velocity = state["lr"], [np.array(v) for v in state["velocity"]]


class DecaySchedule:
    """A real schedule with state: lr = base / (1 + s)."""

    def __init__(self, optimizer):
        self.optimizer, self.base, self.count = optimizer, optimizer.lr, 0

    def step(self):
        self.count += 1
        self.optimizer.lr = lr = self.base / (1 + self.count)
        return lr

    def state_dict(self):
        return {"base": self.base, "count": self.count}

    def load_state_dict(self, state):
        self.base, self.count = state["base"], state["count"]
        self.optimizer.lr = self.base / (1 + self.count)


class Stream:
    """A seeded, resumable stream of batches of (rows, 3) ids in [0, 5): `steps` batches per pass."""

    def __init__(self, steps, rows=8, seed=0):
        self.steps, self.rows, self.seed, self.position = steps, rows, seed, 0

    def __iter__(self):
        for _ in range(self.steps):
            rng = np.random.default_rng((self.seed, self.position))
            self.position += 1
            yield {"input_ids": rng.integers(0, 5, (self.rows, 3)), "labels": rng.integers(0, 5, self.rows)}

    def state_dict(self):
        return {"position": self.position}

    def load_state_dict(self, state):
        self.position = state["position"]
