#| export
class AdamW:
    """A correct AdamW written independently of the reference, with different internals:
    state in dicts, lr as a property, slice assignment for the in-place update, temporaries,
    and parameter groups flattened into one settings dict per parameter.
    It also emits a harmless warning on its first step: nbgrader would score the test cell that
    triggers it zero (stderr) unless nbgrader_config.py's IgnorePattern drops it."""

    GROUP_KEYS = ("betas", "eps", "weight_decay")  # what a group may set; lr is shared by all groups

    @staticmethod
    def _check(where, betas, eps, weight_decay):
        if eps < 0 or weight_decay < 0:
            raise ValueError(f"{where}negative hyperparameter: eps={eps}, weight_decay={weight_decay}")
        if any(not 0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"{where}bad betas {betas}")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        if lr < 0:
            raise ValueError(f"negative hyperparameter: lr={lr}")
        self._check("", betas, eps, weight_decay)
        self.hyper = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay}
        entries = list(params)
        if not entries:
            raise ValueError("no parameters to optimise")
        groups = entries if isinstance(entries[0], dict) else [{"params": entries}]
        self.params, self.per_param = [], []
        for k, group in enumerate(groups):
            if not isinstance(group, dict) or "params" not in group:
                raise ValueError(f"group {k} is not a dict with 'params'")
            extra = sorted(set(group) - {"params", *self.GROUP_KEYS})
            if extra:
                raise ValueError(f"group {k}: keys {extra} not allowed (a group may set {self.GROUP_KEYS}; lr is shared)")
            own = {key: group.get(key, self.hyper[key]) for key in self.GROUP_KEYS}
            self._check(f"group {k}: ", own["betas"], own["eps"], own["weight_decay"])
            own["betas"] = tuple(own["betas"])
            for p in group["params"]:
                if any(p is q for q in self.params):
                    raise ValueError(f"group {k} repeats an array that is already optimised")
                self.params.append(p)
                self.per_param.append(dict(own))
        self.state = {"step": 0, "moments": [(np.zeros(p.shape, p.dtype), np.zeros(p.shape, p.dtype)) for p in self.params]}

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
        self.state["step"] += 1
        n = self.state["step"]
        if n == 1:
            import warnings
            warnings.warn("this AdamW allocates temporaries at every step", RuntimeWarning)
        new_moments = []
        for p, g, (m, v), own in zip(self.params, gradients, self.state["moments"], self.per_param):
            b1, b2 = own["betas"]
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            update = (m / (1 - b1 ** n)) / (np.sqrt(v / (1 - b2 ** n)) + own["eps"])
            p[...] = p - self.lr * (update + own["weight_decay"] * p)
            new_moments.append((m, v))
        self.state["moments"] = new_moments

    def zero_grad(self):
        pass

    def state_dict(self):
        import copy
        return copy.deepcopy({"hyper": self.hyper, "state": self.state, "per_param": self.per_param})

    def load_state_dict(self, state):
        import copy
        state = copy.deepcopy(state)
        self.hyper, self.state = state["hyper"], state["state"]
        self.per_param = [{**own, "betas": tuple(own["betas"])} for own in state["per_param"]]
