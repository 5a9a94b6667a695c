#| export
class AdamW:
    """A correct AdamW in the compact form of the Adam paper (section 2), done so that it equals torch.optim.AdamW:
    both corrections are folded into one step size, alpha_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t), and eps is
    folded with them, eps * sqrt(1 - beta2**t), since alpha_t * m / (sqrt(v) + eps * sqrt(1 - beta2**t)) equals
    lr * m_hat / (sqrt(v_hat) + eps). Every array operation writes into an existing array with out= (one scratch
    buffer per parameter, allocated once), without blocking."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        beta1, beta2 = betas
        valid = {"lr": lr >= 0, "eps": eps >= 0, "weight_decay": weight_decay >= 0,
                 "betas": 0 <= beta1 < 1 and 0 <= beta2 < 1}
        refused = [name for name, ok in valid.items() if not ok]
        if refused:
            raise ValueError(f"refused hyperparameters {refused}: lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        self.params = [p for p in params]
        self.lr, self.beta1, self.beta2, self.eps, self.weight_decay = lr, beta1, beta2, eps, weight_decay
        self.t = 0
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.scratch = [np.empty_like(p) for p in self.params]

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
        correction2 = (1 - self.beta2**self.t) ** 0.5
        alpha = self.lr * correction2 / (1 - self.beta1**self.t)
        eps_t = self.eps * correction2
        keep = 1 - self.lr * self.weight_decay
        for theta, g, m, v, s in zip(self.params, gradients, self.m, self.v, self.scratch):
            np.multiply(m, self.beta1, out=m)
            np.multiply(g, 1 - self.beta1, out=s)
            np.add(m, s, out=m)
            np.multiply(v, self.beta2, out=v)
            np.multiply(g, g, out=s)
            np.multiply(s, 1 - self.beta2, out=s)
            np.add(v, s, out=v)
            np.sqrt(v, out=s)
            np.add(s, eps_t, out=s)
            np.divide(m, s, out=s)
            np.multiply(s, alpha, out=s)
            np.multiply(theta, keep, out=theta)
            np.subtract(theta, s, out=theta)

    def zero_grad(self):
        """Nothing is accumulated between steps, so there is nothing to clear."""

    def state_dict(self):
        return {"t": self.t, "lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps,
                "weight_decay": self.weight_decay, "m": [np.copy(m) for m in self.m], "v": [np.copy(v) for v in self.v]}

    def load_state_dict(self, state):
        self.t = state["t"]
        self.lr, self.beta1, self.beta2 = state["lr"], state["beta1"], state["beta2"]
        self.eps, self.weight_decay = state["eps"], state["weight_decay"]
        self.m = [np.array(m, dtype=p.dtype, copy=True) for m, p in zip(state["m"], self.params)]
        self.v = [np.array(v, dtype=p.dtype, copy=True) for v, p in zip(state["v"], self.params)]
