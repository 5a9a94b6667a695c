"""Wrong solutions that must lose points through `nbgrader autograde`, and the cells that must catch them.

Each mutant applies exact text edits to the reference solution of one student cell (each
`old` must occur exactly once, so a mutant cannot silently rot when the reference changes),
names the test cells that must score zero (the cell whose message targets the mistake, plus
any other cell it is known to break), and a phrase that one of their messages must contain.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    notebook: str
    cell: str
    edits: tuple
    must_fail: frozenset
    says: str

    @property
    def student(self):
        return f"mutant_{self.notebook[:2]}_{self.name}"


def mutant(name, notebook, cell, edits, must_fail, says):
    return Mutant(name, notebook, cell, tuple(edits), frozenset(must_fail), says)


LOOP = "for arrays in zip(self.params, gradients, self.m, self.v):\n"
DECAY = "                theta *= 1 - lr * self.weight_decay\n"

MUTANTS = [
    # --- 01_adamw: the misconceptions the issue lists, then a few more of the same kind
    mutant("no_bias_correction", "01_adamw", "adamw",
           [("np.divide(v, 1 - beta2**t, out=s)", "np.copyto(s, v)"), ("s *= lr / (1 - beta1**t)", "s *= lr")],
           {"test_adamw_bias_correction", "test_adamw_first_step", "test_adamw_trajectory"},
           "without bias correction"),
    mutant("coupled_l2", "01_adamw", "adamw",
           [("s = scratch[", "g = g + self.weight_decay * theta\n                s = scratch["),
            (DECAY, "")],
           {"test_adamw_weight_decay", "test_adamw_first_step", "test_adamw_trajectory"},
           "went through"),
    mutant("decay_not_scaled_by_lr", "01_adamw", "adamw",
           [("theta *= 1 - lr * self.weight_decay", "theta *= 1 - self.weight_decay")],
           {"test_adamw_weight_decay", "test_adamw_first_step", "test_adamw_trajectory"},
           "not multiplied by lr"),
    mutant("decay_after_update", "01_adamw", "adamw",
           [(DECAY, ""), ("                theta -= s\n", "                theta -= s\n" + DECAY)],
           {"test_adamw_weight_decay", "test_adamw_trajectory"},
           "theta after the Adam update"),
    mutant("eps_inside_sqrt", "01_adamw", "adamw",
           [("np.sqrt(s, out=s)\n                s += eps", "s += eps\n                np.sqrt(s, out=s)")],
           {"test_adamw_denominator"},
           "eps is inside the square root"),
    mutant("v_instead_of_sqrt_v", "01_adamw", "adamw",
           [("                np.sqrt(s, out=s)\n", "")],
           {"test_adamw_denominator", "test_adamw_first_step", "test_adamw_trajectory"},
           "where its square root belongs"),
    mutant("t_not_advanced", "01_adamw", "adamw",
           [("self.t += 1", "self.t = 1")],
           {"test_adamw_bias_correction", "test_adamw_step_count", "test_adamw_trajectory"},
           "t = 1 at"),
    mutant("t_per_parameter", "01_adamw", "adamw",
           [("        self.t += 1\n", ""), (LOOP, LOOP + "            self.t += 1\n            t = self.t\n")],
           {"test_adamw_step_count", "test_adamw_separate_state"},
           "not once per parameter"),
    mutant("moments_shared_between_parameters", "01_adamw", "adamw",
           [("self.m = [np.zeros_like(theta) for theta in self.params]",
             "by_shape = {}\n        self.m = [by_shape.setdefault(theta.shape, np.zeros_like(theta)) for theta in self.params]"),
            ("self.v = [np.zeros_like(theta) for theta in self.params]",
             "self.v = [np.zeros_like(m) for m in self.m]")],
           {"test_adamw_separate_state", "test_adamw_step_count"},
           "its own m and v"),
    mutant("parameters_rebound", "01_adamw", "adamw",
           [(DECAY + "                theta -= s\n", "                theta = theta * (1 - lr * self.weight_decay) - s\n")],
           {"test_adamw_in_place", "test_adamw_first_step", "test_adamw_bias_correction", "test_adamw_trajectory"},
           "only rebinds a local name"),
    mutant("lr_read_once", "01_adamw", "adamw",
           [("self.t = 0\n", "self.t = 0\n        self.initial_lr = lr\n"),
            ("self.eps, self.lr, self.t", "self.eps, self.initial_lr, self.t")],
           {"test_adamw_in_place", "test_adamw_trajectory"},
           "self.lr"),
    mutant("state_dict_not_copied", "01_adamw", "adamw",
           [('"m": [m.copy() for m in self.m], "v": [v.copy() for v in self.v]', '"m": self.m, "v": self.v')],
           {"test_adamw_state_dict"},
           "return copies"),
    mutant("load_state_dict_not_copied", "01_adamw", "adamw",
           [("self.m = [np.array(m, dtype=theta.dtype) for m, theta in zip(state[\"m\"], self.params)]",
             "self.m = list(state[\"m\"])"),
            ("self.v = [np.array(v, dtype=theta.dtype) for v, theta in zip(state[\"v\"], self.params)]",
             "self.v = list(state[\"v\"])")],
           {"test_adamw_state_dict"},
           "must copy the arrays"),
    mutant("validates_after_counting", "01_adamw", "adamw",
           [("        self.t += 1\n", ""), ("        gradients = list(gradients)\n", "        gradients = list(gradients)\n        self.t += 1\n")],
           {"test_adamw_bad_input"},
           "refused step() calls advanced t"),
]
