"""Wrong solutions that must lose points through `nbgrader autograde`, and the cells that must catch them.

Each mutant applies exact text edits to the reference solution of one student cell (each
`old` must occur exactly once, so a mutant cannot silently rot when the reference changes),
names the test cells that must score zero (the cell whose message targets the mistake, plus
any other cell it is known to break), and a phrase that one of their messages must contain.
"""
from dataclasses import dataclass

from course import mutate


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

    def answers(self, reference):
        """The reference answers of the whole lab ({notebook: {cell: source}}) with this mutant's cell edited."""
        cells = reference[self.notebook]
        return {**reference, self.notebook: {**cells, self.cell: mutate(cells[self.cell], self.edits)}}


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

STEP = "        self.s += 1\n        self.optimizer.lr = self.get_lr()\n        return self.optimizer.lr"
COSINE = "self.min_lr + 0.5 * (self.base_lr - self.min_lr) * (1 + math.cos(math.pi * p))"

MUTANTS += [
    # --- 02_lr_schedules: the list, then the classic scheduler bugs
    mutant("warmup_off_by_one", "02_lr_schedules", "lr_scheduler",
           [("return self.base_lr * s / W", "return self.base_lr * (s + 1) / W")],
           {"test_schedule_warmup", "test_schedule_cosine"}, "one step ahead"),
    mutant("progress_not_clamped", "02_lr_schedules", "lr_scheduler",
           [("p = min(1.0, (s - W) / (T - W))", "p = (s - W) / (T - W)")],
           {"test_schedule_cosine_landmarks", "test_schedule_cosine", "test_schedule_linear"}, "rises again"),
    mutant("min_lr_ignored", "02_lr_schedules", "lr_scheduler",
           [(COSINE, "0.5 * self.base_lr * (1 + math.cos(math.pi * p))")],
           {"test_schedule_cosine_landmarks", "test_schedule_cosine"}, "min_lr is ignored"),
    mutant("cosine_period_doubled", "02_lr_schedules", "lr_scheduler",
           [("math.cos(math.pi * p)", "math.cos(math.pi * p / 2)")],
           {"test_schedule_cosine_landmarks", "test_schedule_cosine"}, "quarter period"),
    mutant("cosine_full_period", "02_lr_schedules", "lr_scheduler",
           [("math.cos(math.pi * p)", "math.cos(2 * math.pi * p)")],
           {"test_schedule_cosine_landmarks", "test_schedule_cosine"}, "full period"),
    mutant("lr_not_written_to_optimizer", "02_lr_schedules", "lr_scheduler",
           [(STEP, "        self.s += 1\n        return self.get_lr()")],
           {"test_schedule_warmup", "test_schedule_writes_optimizer"}, "must write eta(s) into optimizer.lr"),
    mutant("step_returns_previous_lr", "02_lr_schedules", "lr_scheduler",
           [(STEP, "        previous = self.get_lr()\n" + STEP.replace("return self.optimizer.lr", "return previous"))],
           {"test_schedule_warmup", "test_schedule_writes_optimizer"}, "returns the rate from before the step"),
    mutant("initial_lr_not_written", "02_lr_schedules", "lr_scheduler",
           [("self.s = 0\n        self.optimizer.lr = self.get_lr()", "self.s = 0")],
           {"test_schedule_warmup", "test_schedule_edge_cases"}, "the constructor writes eta(0)"),
    mutant("base_lr_read_again", "02_lr_schedules", "lr_scheduler",
           [(COSINE, COSINE.replace("(self.base_lr - self.min_lr)", "(self.optimizer.lr - self.min_lr)"))],
           {"test_schedule_writes_optimizer", "test_schedule_cosine"}, "read once"),
    mutant("base_lr_not_restored", "02_lr_schedules", "lr_scheduler",
           [('self.s, self.base_lr, self.min_lr = int(state["s"]), state["base_lr"], state["min_lr"]',
             'self.s, self.min_lr = int(state["s"]), state["min_lr"]')],
           {"test_schedule_state_dict"}, "restore base_lr"),
    mutant("unknown_schedule_accepted", "02_lr_schedules", "lr_scheduler",
           [("if schedule not in self.SCHEDULES:", "if False:")],
           {"test_schedule_bad_input_visible", "test_schedule_bad_input"}, "unknown schedule must be refused"),
]

CLIP = "    if math.isfinite(norm) and norm > max_norm:\n        factor = max_norm / (norm + 1e-6)\n        for g in gradients:\n            g *= factor\n"
SQUARES = 'float(np.einsum("i,i->", np.ravel(g), np.ravel(g), dtype=np.float64))'

MUTANTS += [
    # --- 03_gradient_clipping: the list, then a few more
    mutant("per_tensor_clipping", "03_gradient_clipping", "clip_gradients",
           [(CLIP, "    if math.isfinite(norm):\n        for g in gradients:\n            own = global_grad_norm([g])\n"
                   "            if own > max_norm:\n                g *= max_norm / (own + 1e-6)\n")],
           {"test_clip_direction"}, "per-tensor clipping"),
    mutant("always_scales", "03_gradient_clipping", "clip_gradients",
           [("if math.isfinite(norm) and norm > max_norm:", "if math.isfinite(norm):")],
           {"test_clip", "test_clip_below_threshold"}, "makes small gradients larger"),
    mutant("factor_inverted", "03_gradient_clipping", "clip_gradients",
           [("factor = max_norm / (norm + 1e-6)", "factor = norm / max_norm")],
           {"test_clip", "test_clip_direction"}, "factor is inverted"),
    mutant("returns_clipped_norm", "03_gradient_clipping", "clip_gradients",
           [("    return norm", "    return global_grad_norm(gradients)")],
           {"test_clip", "test_clip_returns_norm_before"}, "norm after clipping"),
    mutant("clips_a_copy", "03_gradient_clipping", "clip_gradients",
           [("        for g in gradients:\n            g *= factor", "        gradients = [g * factor for g in gradients]")],
           {"test_clip", "test_clip_in_place"}, "scaled copies"),
    mutant("float32_accumulation", "03_gradient_clipping", "global_grad_norm",
           [(", dtype=np.float64)", ")")],
           {"test_global_norm_float64"}, "overflowed float32"),
    mutant("sum_of_norms", "03_gradient_clipping", "global_grad_norm",
           [(f"    total = sum({SQUARES} for g in gradients)\n    return math.sqrt(total)",
             f"    return sum(math.sqrt({SQUARES}) for g in gradients)")],
           {"test_global_norm", "test_global_norm_all_arrays"}, "sum of the arrays' norms"),
    mutant("non_finite_scaled", "03_gradient_clipping", "clip_gradients",
           [("if math.isfinite(norm) and norm > max_norm:", "if norm > max_norm:")],
           {"test_clip_non_finite"}, "must be left untouched"),
    mutant("max_norm_unchecked", "03_gradient_clipping", "clip_gradients",
           [('    if not max_norm > 0:\n        raise ValueError(f"max_norm must be > 0, got {max_norm}")\n', "")],
           {"test_clip_bad_max_norm"}, "must be refused"),
]

CLIP_LINE = "        grad_norm = clip_gradients(grads, self.max_grad_norm)"
OPTIMIZER_STEP = "            self.optimizer.step(grads)                             # 5. optimizer step\n"
SCHEDULER_STEP = "            self.scheduler.step()                                  # 6. the next step's learning rate\n"
FINITE = "skipped = not (math.isfinite(loss) and math.isfinite(grad_norm))"

MUTANTS += [
    # --- 04_training_loop: the list, then a few more
    mutant("scheduler_before_optimizer", "04_training_loop", "trainer",
           [(OPTIMIZER_STEP + SCHEDULER_STEP, SCHEDULER_STEP + OPTIMIZER_STEP)],
           {"test_trainer_order"}, "came before optimizer.step()"),
    mutant("clip_after_optimizer_step", "04_training_loop", "trainer",
           [(CLIP_LINE, "        grad_norm = math.nan"), (FINITE, "skipped = not math.isfinite(loss)"),
            (OPTIMIZER_STEP, OPTIMIZER_STEP + "            grad_norm = clip_gradients(grads, self.max_grad_norm)\n")],
           {"test_trainer_step", "test_trainer_clipping"}, "unclipped gradients"),
    mutant("clips_a_copy", "04_training_loop", "trainer",
           [(CLIP_LINE, "        grad_norm = clip_gradients([g.copy() for g in grads], self.max_grad_norm)")],
           {"test_trainer_step", "test_trainer_clipping"}, "unclipped gradients"),
    mutant("reports_norm_after_clipping", "04_training_loop", "trainer",
           [(CLIP_LINE, CLIP_LINE + "\n        grad_norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))")],
           {"test_trainer_step", "test_trainer_reported_metrics"}, "norm after clipping"),
    mutant("reports_next_lr", "04_training_loop", "trainer",
           [('"lr": lr, "skipped"', '"lr": self.optimizer.lr, "skipped"')],
           {"test_trainer_step", "test_trainer_reported_metrics"}, "after scheduler.step()"),
    mutant("epoch_loss_per_batch", "04_training_loop", "trainer",
           [('loss_sum += metrics["loss"] * metrics["tokens"]', 'loss_sum += metrics["loss"]'),
            ('"loss": loss_sum / tokens if tokens else math.nan, "lr": lr', '"loss": loss_sum / (steps - skipped) if tokens else math.nan, "lr": lr')],
           {"test_trainer_epoch"}, "averaged per batch"),
    mutant("nan_batch_applied", "04_training_loop", "trainer",
           [(FINITE, "skipped = False")],
           {"test_trainer_skips_nan", "test_trainer_non_finite"}, "poisons m, v"),
    mutant("skip_not_counted", "04_training_loop", "trainer",
           [("            self.skipped += 1", "            pass")],
           {"test_trainer_skips_nan", "test_trainer_non_finite"}, "trainer.skipped"),
    mutant("evaluate_loss_per_batch", "04_training_loop", "trainer",
           [('loss_sum += loss * np.size(batch["labels"])', "loss_sum += loss"),
            ('mean = loss_sum / tokens if tokens else math.nan', "mean = loss_sum / len(dataloader)")],
           {"test_trainer_evaluate"}, "averaged per batch"),
    mutant("accumulation_unweighted", "04_training_loop", "trainer",
           [("weight = np.size(labels) / tokens", "weight = 1 / self.grad_accum_steps")],
           {"test_trainer_grad_accumulation"}, "share of the labels"),
]
