#| export
class AdamW:
    """A correct AdamW in the compact form of the Adam paper (section 2), done so that it equals torch.optim.AdamW:
    both corrections are folded into one step size, alpha_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t), and eps is
    folded with them, eps * sqrt(1 - beta2**t), since alpha_t * m / (sqrt(v) + eps * sqrt(1 - beta2**t)) equals
    lr * m_hat / (sqrt(v_hat) + eps). Every array operation writes into an existing array with out= (one scratch
    buffer per parameter, allocated once), without blocking. Groups are kept as (first, stop, settings) ranges of
    one flat list of arrays: alpha_t and eps_t are computed once per group and step."""

    ALLOWED = ("weight_decay", "betas", "eps")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        self._refuse_bad(lr, betas, eps, weight_decay, "")
        self.lr, self.beta1, self.beta2, self.eps, self.weight_decay = lr, betas[0], betas[1], eps, weight_decay
        given = [p for p in params]
        if not given:
            raise ValueError("refused: params is an empty list")
        if not isinstance(given[0], dict):
            given = [{"params": given}]
        self.params, self.ranges = [], []
        for number, group in enumerate(given):
            if not isinstance(group, dict) or "params" not in group:
                raise ValueError(f"refused group {number}: not a dict with 'params'")
            refused = [key for key in group if key != "params" and key not in self.ALLOWED]
            if refused:
                raise ValueError(f"refused group {number}: it sets {refused}; a group may set only {list(self.ALLOWED)}")
            b1, b2 = group.get("betas", betas)
            eps_g, wd_g = group.get("eps", eps), group.get("weight_decay", weight_decay)
            self._refuse_bad(lr, (b1, b2), eps_g, wd_g, f"group {number}: ")
            first = len(self.params)
            for p in group["params"]:
                if any(p is q for q in self.params):
                    raise ValueError(f"refused group {number}: an array is given twice")
                self.params.append(p)
            self.ranges.append([first, len(self.params), {"beta1": b1, "beta2": b2, "eps": eps_g, "weight_decay": wd_g}])
        self.t = 0
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.scratch = [np.empty_like(p) for p in self.params]

    @staticmethod
    def _refuse_bad(lr, betas, eps, weight_decay, where):
        beta1, beta2 = betas
        valid = {"lr": lr >= 0, "eps": eps >= 0, "weight_decay": weight_decay >= 0,
                 "betas": 0 <= beta1 < 1 and 0 <= beta2 < 1}
        refused = [name for name, ok in valid.items() if not ok]
        if refused:
            raise ValueError(f"{where}refused hyperparameters {refused}: lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")

    def _validate(self, gradients):
        if len(gradients) != len(self.params):
            raise ValueError(f"step() needs one gradient per parameter: {len(self.params)}, not {len(gradients)}")
        for i, (g, p) in enumerate(zip(gradients, self.params)):
            if np.shape(g) != p.shape:
                raise ValueError(f"gradient {i} has shape {np.shape(g)}, expected {p.shape}")

    def step(self, gradients):
        gradients = tuple(gradients)
        self._validate(gradients)
        self.t += 1
        for first, stop, s in self.ranges:
            correction2 = (1 - s["beta2"]**self.t) ** 0.5
            alpha = self.lr * correction2 / (1 - s["beta1"]**self.t)
            eps_t = s["eps"] * correction2
            keep = 1 - self.lr * s["weight_decay"]
            for k in range(first, stop):
                theta, g, m, v, buf = self.params[k], gradients[k], self.m[k], self.v[k], self.scratch[k]
                np.multiply(m, s["beta1"], out=m)
                np.multiply(g, 1 - s["beta1"], out=buf)
                np.add(m, buf, out=m)
                np.multiply(v, s["beta2"], out=v)
                np.multiply(g, g, out=buf)
                np.multiply(buf, 1 - s["beta2"], out=buf)
                np.add(v, buf, out=v)
                np.sqrt(v, out=buf)
                np.add(buf, eps_t, out=buf)
                np.divide(m, buf, out=buf)
                np.multiply(buf, alpha, out=buf)
                np.multiply(theta, keep, out=theta)
                np.subtract(theta, buf, out=theta)

    def zero_grad(self):
        """Nothing is accumulated between steps, so there is nothing to clear."""

    def state_dict(self):
        return {"t": self.t, "lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps,
                "weight_decay": self.weight_decay, "ranges": [[first, stop, dict(s)] for first, stop, s in self.ranges],
                "m": [np.copy(m) for m in self.m], "v": [np.copy(v) for v in self.v]}

    def load_state_dict(self, state):
        self.t = state["t"]
        self.lr, self.beta1, self.beta2 = state["lr"], state["beta1"], state["beta2"]
        self.eps, self.weight_decay = state["eps"], state["weight_decay"]
        self.ranges = [[int(first), int(stop), dict(s)] for first, stop, s in state["ranges"]]
        self.m = [np.array(m, dtype=p.dtype, copy=True) for m, p in zip(state["m"], self.params)]
        self.v = [np.array(v, dtype=p.dtype, copy=True) for v, p in zip(state["v"], self.params)]
