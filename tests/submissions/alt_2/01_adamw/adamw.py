#| export
def adamw_update(theta, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    """One AdamW step for one array, as a pure function: returns (new_theta, new_m, new_v) and changes nothing."""
    new_m = beta1 * m + (1.0 - beta1) * g
    new_v = beta2 * v + (1.0 - beta2) * np.square(g)
    m_hat = new_m / (1.0 - beta1**t)
    v_hat = new_v / (1.0 - beta2**t)
    new_theta = theta - lr * (m_hat / (np.sqrt(v_hat) + eps) + weight_decay * theta)
    return new_theta, new_m, new_v


def invalid(betas, eps, weight_decay):
    """The hyperparameters a group may set that are out of range, as 'name=value' strings."""
    problems = [f"{name}={value}" for name, value in (("eps", eps), ("weight_decay", weight_decay)) if value < 0]
    return problems + [f"betas[{k}]={b}" for k, b in enumerate(betas) if not 0.0 <= b < 1.0]


def flatten_groups(params, defaults):
    """(arrays, settings): every array of params (a list of arrays, or of groups) and, for each, the dict of its
    group's betas, eps and weight_decay (the defaults where the group says nothing)."""
    params = list(params)
    if not params:
        raise ValueError("params is empty")
    groups = params if isinstance(params[0], dict) else [{"params": params}]
    arrays, settings = [], []
    for number, group in enumerate(groups):
        if not isinstance(group, dict) or "params" not in group:
            raise ValueError(f"group {number} needs a 'params' list")
        for key in group:
            if key not in ("params", *defaults):
                raise ValueError(f"group {number}: {key!r} cannot be set per group (lr is one value for all groups)")
        merged = {key: group.get(key, value) for key, value in defaults.items()}
        problems = invalid(merged["betas"], merged["eps"], merged["weight_decay"])
        if problems:
            raise ValueError(f"group {number}: invalid hyperparameters: " + ", ".join(problems))
        for array in group["params"]:
            if any(array is seen for seen in arrays):
                raise ValueError(f"group {number} holds an array that appears earlier")
            arrays.append(array)
            settings.append({"betas": tuple(merged["betas"]), "eps": merged["eps"], "weight_decay": merged["weight_decay"]})
    return arrays, settings


class AdamW:
    """A correct AdamW written another way: the state lives in dicts keyed by parameter index, the arithmetic is a
    pure function (adamw_update, above) that returns new arrays, and the class copies the new parameter into the
    model's array with np.copyto. Groups are flattened by flatten_groups into per-index settings. state_dict() turns
    the index keys into strings (checkpoint files need them)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        problems = ([f"lr={lr}"] if lr < 0 else []) + invalid(betas, eps, weight_decay)
        if problems:
            raise ValueError("invalid hyperparameters: " + ", ".join(problems))
        arrays, settings = flatten_groups(params, {"betas": tuple(betas), "eps": eps, "weight_decay": weight_decay})
        self.params = arrays
        self.lr, self.betas, self.eps, self.weight_decay = lr, tuple(betas), eps, weight_decay
        self.settings = dict(enumerate(settings))
        self.step_count = 0
        self.first = {i: np.zeros(p.shape, dtype=p.dtype) for i, p in enumerate(arrays)}
        self.second = {i: np.zeros(p.shape, dtype=p.dtype) for i, p in enumerate(arrays)}

    def step(self, gradients):
        if len(gradients) != len(self.params):
            raise ValueError(f"expected {len(self.params)} gradients, got {len(gradients)}")
        wrong = [(i, np.shape(g), p.shape) for i, (p, g) in enumerate(zip(self.params, gradients)) if np.shape(g) != p.shape]
        if wrong:
            i, got, want = wrong[0]
            raise ValueError(f"gradient {i} has shape {got}, expected {want}")
        self.step_count += 1
        for i, (theta, g) in enumerate(zip(self.params, gradients)):
            (beta1, beta2), eps, weight_decay = self.settings[i]["betas"], self.settings[i]["eps"], self.settings[i]["weight_decay"]
            new_theta, self.first[i], self.second[i] = adamw_update(
                theta, np.asarray(g), self.first[i], self.second[i], self.step_count,
                self.lr, beta1, beta2, eps, weight_decay)
            np.copyto(theta, new_theta)

    def zero_grad(self):
        return None

    def state_dict(self):
        return {
            "hyperparameters": {"lr": self.lr, "betas": list(self.betas), "eps": self.eps, "weight_decay": self.weight_decay},
            "settings": {str(i): {"betas": list(s["betas"]), "eps": s["eps"], "weight_decay": s["weight_decay"]}
                         for i, s in self.settings.items()},
            "step_count": self.step_count,
            "moments": {str(i): {"first": self.first[i].copy(), "second": self.second[i].copy()} for i in self.first},
        }

    def load_state_dict(self, state):
        hyper = state["hyperparameters"]
        self.lr, self.betas, self.eps, self.weight_decay = hyper["lr"], tuple(hyper["betas"]), hyper["eps"], hyper["weight_decay"]
        self.settings = {int(k): {"betas": tuple(s["betas"]), "eps": s["eps"], "weight_decay": s["weight_decay"]}
                         for k, s in state["settings"].items()}
        self.step_count = state["step_count"]
        self.first = {int(k): np.array(s["first"], dtype=self.params[int(k)].dtype) for k, s in state["moments"].items()}
        self.second = {int(k): np.array(s["second"], dtype=self.params[int(k)].dtype) for k, s in state["moments"].items()}
