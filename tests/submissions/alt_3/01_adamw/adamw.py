#| export
import math


class AdamW:
    """A correct AdamW in PyTorch's style: parameter groups (a list of dicts holding the params and their
    hyperparameters), `lr` a property that reads the first group and writes every group, a state dict per parameter
    with its own "step" (all advanced once per call), and the update in the order of torch.optim.AdamW's
    _single_tensor_adamw: decay first, m by lerp, denom = sqrt(v) / sqrt(1 - beta2**t) + eps, step size lr / (1 - beta1**t)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        self.defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        self.param_groups = [dict(params=list(params), **self.defaults)]
        self.state = [dict(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p)) for p in self._all_params()]

    def _all_params(self):
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self):
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value):
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
        return {
            "state": {str(i): {"step": s["step"], "exp_avg": s["exp_avg"].copy(), "exp_avg_sq": s["exp_avg_sq"].copy()}
                      for i, s in enumerate(self.state)},
            "param_groups": [{k: v for k, v in group.items() if k != "params"} for group in self.param_groups],
        }

    def load_state_dict(self, state_dict):
        for group, saved in zip(self.param_groups, state_dict["param_groups"]):
            group.update(lr=saved["lr"], betas=tuple(saved["betas"]), eps=saved["eps"], weight_decay=saved["weight_decay"])
        self.state = [dict(step=int(state_dict["state"][str(i)]["step"]),
                           exp_avg=np.array(state_dict["state"][str(i)]["exp_avg"], dtype=p.dtype),
                           exp_avg_sq=np.array(state_dict["state"][str(i)]["exp_avg_sq"], dtype=p.dtype))
                      for i, p in enumerate(self._all_params())]
