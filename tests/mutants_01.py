"""Mutants of 01_adamw: see mutation.py."""
from mutation import mutant

NOTEBOOK = "01_adamw"
# Cells whose purpose is end-to-end (see mutation.py): a failure there names the mistake it matches.
END_TO_END = {"test_adamw_first_step", "test_adamw_trajectory"}  # one whole step by hand; 20-60 whole steps
# Cells a mutant still fails outside its concept and END_TO_END: a debt, listed so that no new one goes unnoticed.
KNOWN_LEAKS = {
    # v_hat for sqrt(v_hat): the bias-correction test's expected steps (eps = 0) assume the right denominator
    "v_instead_of_sqrt_v": {"test_adamw_bias_correction"},
    # parameters that never move fail every test that measures a move (the message does not say "rebinds")
    "parameters_rebound": {"test_adamw_denominator", "test_adamw_weight_decay"},
}

LOOP = 'for i in group["params"]:\n'
DECAY = "                    theta *= 1 - lr * weight_decay\n"
SETTINGS = '(beta1, beta2), eps, weight_decay = group["betas"], group["eps"], group["weight_decay"]'

MUTANTS = [
    # --- 01_adamw: the misconceptions the issue lists, then a few more of the same kind
    mutant("no_bias_correction", "01_adamw", "adamw",
           [("np.divide(v, 1 - beta2**t, out=s)", "np.copyto(s, v)"), ("s *= lr / (1 - beta1**t)", "s *= lr")],
           {"test_adamw_bias_correction", "test_adamw_step_count", "test_adamw_denominator", "test_adamw_first_step",
            "test_adamw_trajectory"},  # v_hat, not v, is in the denominator: tiny gradients show the difference
           "without bias correction"),
    mutant("coupled_l2", "01_adamw", "adamw",
           [("s = scratch[", "g = g + weight_decay * theta\n                    s = scratch["),
            (DECAY, "")],
           {"test_adamw_weight_decay", "test_adamw_first_step", "test_adamw_trajectory"},
           "went through"),
    mutant("decay_not_scaled_by_lr", "01_adamw", "adamw",
           [("theta *= 1 - lr * weight_decay", "theta *= 1 - weight_decay")],
           {"test_adamw_weight_decay", "test_adamw_first_step", "test_adamw_trajectory"},
           "not multiplied by lr"),
    mutant("decay_after_update", "01_adamw", "adamw",
           [(DECAY, ""), ("                    theta -= s\n", "                    theta -= s\n" + DECAY)],
           {"test_adamw_weight_decay", "test_adamw_first_step", "test_adamw_trajectory"},
           "theta after the Adam update"),
    mutant("eps_inside_sqrt", "01_adamw", "adamw",
           [("np.sqrt(s, out=s)\n                    s += eps", "s += eps\n                    np.sqrt(s, out=s)")],
           {"test_adamw_denominator"},
           "eps is inside the square root"),
    mutant("v_instead_of_sqrt_v", "01_adamw", "adamw",
           [("                    np.sqrt(s, out=s)\n", "")],
           {"test_adamw_denominator", "test_adamw_first_step", "test_adamw_trajectory"},
           "where its square root belongs"),
    mutant("t_not_advanced", "01_adamw", "adamw",
           [("self.t += 1", "self.t = 1")],
           {"test_adamw_bias_correction", "test_adamw_step_count", "test_adamw_denominator", "test_adamw_trajectory"},
           "t = 1 at"),
    mutant("t_per_parameter", "01_adamw", "adamw",
           [("        self.t += 1\n", ""), (LOOP, LOOP + "                self.t += 1\n                t = self.t\n")],
           {"test_adamw_step_count", "test_adamw_separate_state",  # and item 16 restates items 3 and 4 for groups:
            "test_adamw_groups", "test_adamw_groups_state", "test_adamw_groups_refused"},
           "not once per parameter"),
    mutant("moments_shared_between_parameters", "01_adamw", "adamw",
           [("self.m = [np.zeros_like(theta) for theta in self.params]",
             "by_shape = {}\n        self.m = [by_shape.setdefault(theta.shape, np.zeros_like(theta)) for theta in self.params]"),
            ("self.v = [np.zeros_like(theta) for theta in self.params]",
             "self.v = [np.zeros_like(m) for m in self.m]")],
           {"test_adamw_separate_state", "test_adamw_step_count", "test_adamw_groups_state", "test_adamw_groups_refused"},
           "its own m and v"),
    mutant("parameters_rebound", "01_adamw", "adamw",
           [(DECAY + "                    theta -= s\n", "                    theta = theta * (1 - lr * weight_decay) - s\n")],
           # parameters that never move, seen from outside: every test that needs them to move fails, and says why
           # (checks.check_moved: "did not change ... theta = theta - ... only rebinds a local name")
           {"test_adamw_in_place", "test_adamw_first_step", "test_adamw_bias_correction", "test_adamw_trajectory",
            "test_adamw_step_count", "test_adamw_separate_state", "test_adamw_zero_grad", "test_adamw_state_dict",
            "test_adamw_groups", "test_adamw_groups_state"},
           "only rebinds a local name"),
    mutant("lr_read_once", "01_adamw", "adamw",
           [("self.t = 0\n", "self.t = 0\n        self.initial_lr = lr\n"),
            ("lr, t = self.lr, self.t", "lr, t = self.initial_lr, self.t")],
           {"test_adamw_in_place", "test_adamw_groups_refused", "test_adamw_trajectory"},
           "self.lr"),
    mutant("state_dict_not_copied", "01_adamw", "adamw",
           [('"m": [m.copy() for m in self.m], "v": [v.copy() for v in self.v]', '"m": self.m, "v": self.v')],
           {"test_adamw_state_dict", "test_adamw_groups"},  # item 15: state_dict() with groups resumes bit-identically
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
    mutant("zero_grad_resets_state", "01_adamw", "adamw",
           [('        """Nothing to reset: gradients are passed to step(), not accumulated here."""\n',
             '        """Nothing to reset: gradients are passed to step(), not accumulated here."""\n'
             '        self.m = [np.zeros_like(m) for m in self.m]\n        self.v = [np.zeros_like(v) for v in self.v]\n')],
           {"test_adamw_zero_grad"},
           "zero_grad() must change nothing"),
    mutant("compact_step_size", "01_adamw", "adamw",
           [("np.divide(v, 1 - beta2**t, out=s)\n                    np.sqrt(s, out=s)", "np.sqrt(v, out=s)"),
            ("s *= lr / (1 - beta1**t)", "s *= lr * (1 - beta2**t) ** 0.5 / (1 - beta1**t)")],
           {"test_adamw_denominator", "test_adamw_trajectory"},
           "compact form"),
    # --- parameter groups (contract items 15-17)
    mutant("group_weight_decay_ignored", "01_adamw", "adamw",
           [(SETTINGS, SETTINGS.replace('group["weight_decay"]', "self.weight_decay"))],
           {"test_adamw_groups", "test_adamw_groups_state", "test_adamw_groups_refused"},
           "weight_decay is ignored"),
    mutant("group_betas_ignored", "01_adamw", "adamw",
           [(SETTINGS, SETTINGS.replace('group["betas"]', "(self.beta1, self.beta2)"))],
           {"test_adamw_groups", "test_adamw_groups_state"},
           "betas are ignored"),
    mutant("groups_share_state", "01_adamw", "adamw",  # m and v found by the array's place within its group
           [(LOOP + "                arrays = (self.params[i], gradients[i], self.m[i], self.v[i])",
             'for k, i in enumerate(group["params"]):\n'
             "                arrays = (self.params[i], gradients[i], self.m[k], self.v[k])")],
           {"test_adamw_groups", "test_adamw_groups_state", "test_adamw_groups_refused"},
           "its own m and v"),
    mutant("t_per_group", "01_adamw", "adamw",
           [("        self.t += 1\n        lr, t = self.lr, self.t\n        for group in self.groups:\n",
             "        lr = self.lr\n        for group in self.groups:\n            self.t += 1\n            t = self.t\n")],
           {"test_adamw_groups", "test_adamw_groups_state", "test_adamw_groups_refused"},
           "once per group"),
    mutant("group_settings_leak", "01_adamw", "adamw",  # the defaults updated in place: one group's keys reach the next
           [("settings = {**defaults, **{key: group[key] for key in defaults if key in group}}",
             "settings = defaults\n            settings.update({key: group[key] for key in defaults if key in group})")],
           {"test_adamw_groups", "test_adamw_groups_state", "test_adamw_groups_refused"},
           "took another group's settings"),
    mutant("unknown_group_key_accepted", "01_adamw", "adamw",  # what torch.optim does: the typo is kept and never read
           [("            if not_allowed:\n", "            if False:\n")],
           {"test_adamw_groups_refused"},
           "typo"),
    mutant("group_lr_accepted", "01_adamw", "adamw",  # PyTorch's per-group lr, which the scheduler's writes never reach
           [('            if "lr" in group:\n', "            if False:\n"),
            ('not_allowed = sorted(set(group) - {"params", *defaults})', 'not_allowed = sorted(set(group) - {"params", "lr", *defaults})'),
            ('"weight_decay": wd})', '"weight_decay": wd, **{key: group[key] for key in ("lr",) if key in group}})'),
            ("            " + SETTINGS, '            lr = group.get("lr", self.lr)\n            ' + SETTINGS)],
           {"test_adamw_groups_refused"},
           "may not set 'lr'"),
]
