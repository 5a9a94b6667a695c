#| export
import math


class AdamW:
    """A correct AdamW in PyTorch's style: parameter groups (a list of dicts holding the params and their
    hyperparameters, filled from `defaults` as torch.optim.Optimizer.add_param_group does), `lr` a property that reads
    the first group and writes every group, a state dict per parameter with its own "step" (all advanced once per call),
    and the update in the order of torch.optim.AdamW's _single_tensor_adamw: decay first, m by lerp,
    denom = sqrt(v) / sqrt(1 - beta2**t) + eps, step size lr / (1 - beta1**t). Unlike PyTorch, a group may not set lr
    (the scheduler writes one lr for all groups) and an unknown key is refused rather than kept."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        self._check_group_values(dict(betas=betas, eps=eps, weight_decay=weight_decay))
        self.defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        self.param_groups = []
        for param_group in param_groups:
            self.add_param_group(param_group)
        self.state = [dict(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p)) for p in self._all_params()]

    @staticmethod
    def _check_group_values(group):
        if not 0.0 <= group["eps"]:
            raise ValueError(f"Invalid epsilon value: {group['eps']}")
        if not 0.0 <= group["betas"][0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {group['betas'][0]}")
        if not 0.0 <= group["betas"][1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {group['betas'][1]}")
        if not 0.0 <= group["weight_decay"]:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise ValueError(f"param_group must be a dict with 'params', but got {type(param_group).__name__}")
        if "lr" in param_group:
            raise ValueError("a parameter group may not set 'lr': one lr is shared by all groups (the scheduler sets it)")
        unknown = [key for key in param_group if key not in ("params", "betas", "eps", "weight_decay")]
        if unknown:
            raise ValueError(f"parameter group has unknown options {unknown}")
        group = dict(param_group)
        group["params"] = list(group["params"])
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        group["betas"] = tuple(group["betas"])
        self._check_group_values(group)
        seen = self._all_params()
        for k, param in enumerate(group["params"]):
            if any(param is other for other in seen + group["params"][:k]):
                raise ValueError("some parameters appear more than once in the parameter groups")
        self.param_groups.append(group)

    def _all_params(self):
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self):
        return self.defaults["lr"]

    @lr.setter
    def lr(self, value):
        self.defaults["lr"] = value
        for group in self.param_groups:
            group["lr"] = value

    def step(self, gradients):
        gradients = list(gradients)
        params = self._all_params()
        if len(gradients) != len(params):
            raise ValueError(f"{len(gradients)} gradients for {len(params)} parameters")
        for i, (param, grad) in enumerate(zip(params, gradients)):
            if np.shape(grad) != np.shape(param):
                raise ValueError(f"gradient {i} has shape {np.shape(grad)}, expected {np.shape(param)}")
        index = 0
        for group in self.param_groups:
            lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for param in group["params"]:
                grad, state = gradients[index], self.state[index]
                index += 1
                state["step"] += 1
                step = state["step"]
                param *= 1 - lr * weight_decay  # stepweight decay, on theta before the step
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg += (1 - beta1) * (grad - exp_avg)  # lerp towards grad
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                bias_correction1 = 1 - beta1**step
                bias_correction2_sqrt = math.sqrt(1 - beta2**step)
                denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
                param -= (lr / bias_correction1) * exp_avg / denom

    def zero_grad(self):
        pass  # gradients are arguments of step(): nothing is stored between steps

    def state_dict(self):
        packed, start = [], 0
        for group in self.param_groups:  # as torch.optim.Optimizer.state_dict: parameters as their order indices
            packed.append({**{k: v for k, v in group.items() if k != "params"},
                           "params": list(range(start, start + len(group["params"])))})
            start += len(group["params"])
        return {
            "state": {str(i): {"step": s["step"], "exp_avg": s["exp_avg"].copy(), "exp_avg_sq": s["exp_avg_sq"].copy()}
                      for i, s in enumerate(self.state)},
            "param_groups": packed,
            "lr": self.lr,
        }

    def load_state_dict(self, state_dict):
        if len(state_dict["param_groups"]) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, state_dict["param_groups"]):
            group.update(lr=saved["lr"], betas=tuple(saved["betas"]), eps=saved["eps"], weight_decay=saved["weight_decay"])
        self.defaults["lr"] = state_dict["lr"]
        self.state = [dict(step=int(state_dict["state"][str(i)]["step"]),
                           exp_avg=np.array(state_dict["state"][str(i)]["exp_avg"], dtype=p.dtype),
                           exp_avg_sq=np.array(state_dict["state"][str(i)]["exp_avg_sq"], dtype=p.dtype))
                      for i, p in enumerate(self._all_params())]
