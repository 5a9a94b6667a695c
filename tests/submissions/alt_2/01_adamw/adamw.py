#| export
def adamw_update(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    """One AdamW step for one array, as a pure function: returns (new_theta, new_m, new_v) and changes nothing."""
    new_m = beta1 * m + (1.0 - beta1) * g
    new_v = beta2 * v + (1.0 - beta2) * np.square(g)
    m_hat = new_m / (1.0 - beta1**t)
    v_hat = new_v / (1.0 - beta2**t)
    new_theta = theta - lr * (m_hat / (np.sqrt(v_hat) + eps) + weight_decay * theta)
    return new_theta, new_m, new_v


class AdamW:
    """A correct AdamW written another way: the state lives in dicts keyed by parameter index, the arithmetic is a
    pure function (adamw_update, above) that returns new arrays, and the class copies the new parameter into the
    model's array with np.copyto. state_dict() turns the index keys into strings (checkpoint files need them)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        problems = [f"{name}={value}" for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay))
                    if value < 0]
        problems += [f"betas[{k}]={b}" for k, b in enumerate(betas) if not 0.0 <= b < 1.0]
        if problems:
            raise ValueError("invalid hyperparameters: " + ", ".join(problems))
        self.params = params
        self.lr, self.betas, self.eps, self.weight_decay = lr, tuple(betas), eps, weight_decay
        self.step_count = 0
        self.first = {i: np.zeros(p.shape, dtype=p.dtype) for i, p in enumerate(params)}
        self.second = {i: np.zeros(p.shape, dtype=p.dtype) for i, p in enumerate(params)}

    def step(self, gradients):
        if len(gradients) != len(self.params):
            raise ValueError(f"expected {len(self.params)} gradients, got {len(gradients)}")
        wrong = [(i, np.shape(g), p.shape) for i, (p, g) in enumerate(zip(self.params, gradients)) if np.shape(g) != p.shape]
        if wrong:
            i, got, want = wrong[0]
            raise ValueError(f"gradient {i} has shape {got}, expected {want}")
        self.step_count += 1
        beta1, beta2 = self.betas
        for i, (theta, g) in enumerate(zip(self.params, gradients)):
            new_theta, self.first[i], self.second[i] = adamw_update(
                theta, np.asarray(g), self.first[i], self.second[i], self.step_count,
                self.lr, beta1, beta2, self.eps, self.weight_decay)
            np.copyto(theta, new_theta)

    def zero_grad(self):
        return None

    def state_dict(self):
        return {
            "hyperparameters": {"lr": self.lr, "betas": list(self.betas), "eps": self.eps, "weight_decay": self.weight_decay},
            "step_count": self.step_count,
            "moments": {str(i): {"first": self.first[i].copy(), "second": self.second[i].copy()} for i in self.first},
        }

    def load_state_dict(self, state):
        hyper = state["hyperparameters"]
        self.lr, self.betas, self.eps, self.weight_decay = hyper["lr"], tuple(hyper["betas"]), hyper["eps"], hyper["weight_decay"]
        self.step_count = state["step_count"]
        self.first = {int(k): np.array(s["first"], dtype=self.params[int(k)].dtype) for k, s in state["moments"].items()}
        self.second = {int(k): np.array(s["second"], dtype=self.params[int(k)].dtype) for k, s in state["moments"].items()}
