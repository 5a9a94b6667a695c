#| export
class AdamW:
    """A correct AdamW written independently of the reference, with different internals:
    state in dicts, lr as a property, slice assignment for the in-place update, temporaries.
    It also emits a harmless warning on its first step: nbgrader would score the test cell that
    triggers it zero (stderr) unless nbgrader_config.py's IgnorePattern drops it."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError(f"negative hyperparameter: lr={lr}, eps={eps}, weight_decay={weight_decay}")
        if any(not 0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"bad betas {betas}")
        self.hyper = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay}
        self.params = params
        self.state = {"step": 0, "moments": [(np.zeros(p.shape, p.dtype), np.zeros(p.shape, p.dtype)) for p in params]}

    @property
    def lr(self):
        return self.hyper["lr"]

    @lr.setter
    def lr(self, value):
        self.hyper["lr"] = value

    def step(self, gradients):
        if len(gradients) != len(self.params):
            raise ValueError("wrong number of gradients")
        for k, (p, g) in enumerate(zip(self.params, gradients)):
            if g.shape != p.shape:
                raise ValueError(f"gradient {k}: got {g.shape}, want {p.shape}")
        b1, b2 = self.hyper["betas"]
        self.state["step"] += 1
        n = self.state["step"]
        if n == 1:
            import warnings
            warnings.warn("this AdamW allocates temporaries at every step", RuntimeWarning)
        new_moments = []
        for p, g, (m, v) in zip(self.params, gradients, self.state["moments"]):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            update = (m / (1 - b1 ** n)) / (np.sqrt(v / (1 - b2 ** n)) + self.hyper["eps"])
            p[...] = p - self.lr * (update + self.hyper["weight_decay"] * p)
            new_moments.append((m, v))
        self.state["moments"] = new_moments

    def zero_grad(self):
        pass

    def state_dict(self):
        import copy
        return copy.deepcopy({"hyper": self.hyper, "state": self.state})

    def load_state_dict(self, state):
        import copy
        state = copy.deepcopy(state)
        self.hyper, self.state = state["hyper"], state["state"]
