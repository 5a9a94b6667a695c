"""Mutants of 04_training_loop: see mutation.py."""
from mutation import mutant

NOTEBOOK = "04_training_loop"
# Cells whose purpose is end-to-end (see mutation.py): a failure there names the mistake it matches.
END_TO_END = set()
# Cells a mutant still fails outside its concept and END_TO_END: a debt, listed so that no new one goes unnoticed.
KNOWN_LEAKS = {  # measured by tests/mutant_table.py; not yet one mistake, one concept
    # the diagnostics test runs whole train_steps (accumulation, skipped steps): it sees these mistakes too
    "nan_batch_applied": {"test_trainer_diagnostics"},
    "accumulation_unweighted": {"test_trainer_diagnostics"},
    "skipped_step_not_in_steps": {"test_trainer_diagnostics"},
    # test_trainer_passes checks the gradients the optimizer receives, which these mistakes leave unclipped
    "clip_after_optimizer_step": {"test_trainer_non_finite", "test_trainer_passes"},
    "clips_a_copy": {"test_trainer_passes"},
}

CLIP_LINE = "        grad_norm = self.clip_fn(grads, self.max_grad_norm)"
OPTIMIZER_STEP = "            self.optimizer.step(grads)                             # 5. optimizer step\n"
SCHEDULER_STEP = "            self.scheduler.step()                                  # 6. the next step's learning rate\n"
FINITE = "skipped = not (math.isfinite(loss) and math.isfinite(grad_norm))"
WATCH = "watch = self.diagnostics and self.steps % self.log_every == 0"
GRAD_NORMS = "            grad_norms = [float(np.linalg.norm(g)) for g in grads]  #    each array's norm, before clipping\n"
RATIO = "float(np.linalg.norm(p - b) / np.linalg.norm(b)) for p, b in zip(self.model.parameters(), before)"
FINAL = "            final[i, j] = losses[-last:].mean()"
DIVERGED = "            diverged[i, j] = not np.isfinite(losses).all() or losses.max() > losses[0] + rise"
CHOICE = "CHOSEN_PEAK_LR = 1e-2"
SKIPPED = "            self.skipped += 1                                      # nothing applied: parameters, m, v, schedule unchanged\n"

MUTANTS = [
    # --- 04_training_loop: the list, then a few more
    mutant("scheduler_before_optimizer", "04_training_loop", "trainer",
           [(OPTIMIZER_STEP + SCHEDULER_STEP, SCHEDULER_STEP + OPTIMIZER_STEP)],
           {"test_trainer_order"}, "came before optimizer.step()"),
    mutant("clip_after_optimizer_step", "04_training_loop", "trainer",
           [(CLIP_LINE, "        grad_norm = math.nan"), (FINITE, "skipped = not math.isfinite(loss)"),
            (OPTIMIZER_STEP, OPTIMIZER_STEP + "            grad_norm = self.clip_fn(grads, self.max_grad_norm)\n")],
           {"test_trainer_step", "test_trainer_clipping", "test_trainer_order"}, "unclipped gradients"),
    mutant("clips_a_copy", "04_training_loop", "trainer",
           [(CLIP_LINE, "        grad_norm = self.clip_fn([g.copy() for g in grads], self.max_grad_norm)")],
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
    # --- the contract's newer items: empty micro-batches, the epoch's lr, skipped steps in self.steps
    mutant("accumulation_runs_empty_parts", "04_training_loop", "trainer",
           [('parts = min(self.grad_accum_steps, len(batch["labels"]))', "parts = self.grad_accum_steps")],
           {"test_trainer_grad_accumulation"}, "empty parts"),
    mutant("epoch_lr_of_last_applied_step", "04_training_loop", "trainer",
           [('steps, lr = steps + 1, metrics["lr"]', "steps += 1"),
            ('                tokens += metrics["tokens"]\n',
             '                tokens += metrics["tokens"]\n                lr = metrics["lr"]\n')],
           {"test_trainer_epoch_visible"}, "last applied step"),
    mutant("skipped_step_not_in_steps", "04_training_loop", "trainer",
           [("        self.steps += 1\n", ""), (OPTIMIZER_STEP, "            self.steps += 1\n" + OPTIMIZER_STEP)],
           {"test_trainer_skips_nan", "test_trainer_non_finite"}, "skipped ones included"),
    # --- item 13, diagnostics: which steps, before or after clipping, what the ratio divides
    mutant("diagnostics_ignore_the_flag", "04_training_loop", "trainer",
           [(WATCH, "watch = bool(self.log_every) and self.steps % self.log_every == 0")],
           {"test_trainer_diagnostics"}, "check self.diagnostics"),
    mutant("diagnostics_on_every_step", "04_training_loop", "trainer",
           [(WATCH, "watch = self.diagnostics")],
           {"test_trainer_diagnostics"}, "multiple of log_every"),
    mutant("diagnostics_on_a_skipped_step", "04_training_loop", "trainer",
           [(SKIPPED, SKIPPED + "            if watch:\n"
             "                diagnostics = {\"grad_norms\": grad_norms, \"update_ratios\": [0.0] * len(grads)}\n")],
           {"test_trainer_diagnostics"}, "a skipped step has no diagnostics"),
    mutant("grad_norms_after_clipping", "04_training_loop", "trainer",
           [("        if watch:\n" + GRAD_NORMS, ""),
            ('{"grad_norms": grad_norms,', '{"grad_norms": [float(np.linalg.norm(g)) for g in grads],')],
           {"test_trainer_diagnostics"}, "norms after clipping"),
    mutant("grad_norms_of_the_last_micro_batch", "04_training_loop", "trainer",
           [(GRAD_NORMS, GRAD_NORMS.replace("for g in grads]", "for g in part_grads]"))],
           {"test_trainer_diagnostics"}, "of the whole batch"),
    mutant("update_ratio_against_the_parameters_after", "04_training_loop", "trainer",
           [(RATIO, RATIO.replace("/ np.linalg.norm(b))", "/ np.linalg.norm(p))"))],
           {"test_trainer_diagnostics"}, "after the update"),
    mutant("update_ratio_of_the_norms", "04_training_loop", "trainer",
           [(RATIO, RATIO.replace("np.linalg.norm(p - b)", "abs(np.linalg.norm(p) - np.linalg.norm(b))"))],
           {"test_trainer_diagnostics"}, "difference of the norms"),
    mutant("update_estimated_as_lr_times_gradient", "04_training_loop", "trainer",
           [(RATIO, "float(lr * np.linalg.norm(g) / np.linalg.norm(b)) for g, b in zip(grads, before)")],
           {"test_trainer_diagnostics"}, "lr * gradient"),
    # --- items 14-16, the learning-rate sweep and the choice of a peak rate
    mutant("sweep_seeds_in_the_outer_loop", "04_training_loop", "lr_sweep",
           [("    for i, peak_lr in enumerate(peak_lrs):\n        for j, seed in enumerate(seeds):\n",
             "    for j, seed in enumerate(seeds):\n        for i, peak_lr in enumerate(peak_lrs):\n")],
           {"test_lr_sweep"}, "rates in the outer loop"),
    mutant("sweep_final_of_every_loss", "04_training_loop", "lr_sweep",
           [(FINAL, "            final[i, j] = losses.mean()")],
           {"test_lr_sweep"}, "averaged every loss"),
    mutant("sweep_final_one_loss_short", "04_training_loop", "lr_sweep",
           [(FINAL, "            final[i, j] = losses[-last + 1:].mean()")],
           {"test_lr_sweep"}, "one loss too few"),
    mutant("sweep_divergence_from_the_final_loss", "04_training_loop", "lr_sweep",
           [(DIVERGED, "            diverged[i, j] = not final[i, j] <= losses[0] + rise")],
           {"test_lr_sweep"}, "greater than the first loss plus rise"),
    mutant("sweep_divergence_from_the_lowest_loss", "04_training_loop", "lr_sweep",
           [("losses.max() > losses[0] + rise", "(losses[1:] > np.minimum.accumulate(losses)[:-1] + rise).any()")],
           {"test_lr_sweep"}, "not its lowest so far"),
    mutant("sweep_non_finite_not_divergence", "04_training_loop", "lr_sweep",
           [(DIVERGED, "            diverged[i, j] = np.nanmax(losses[np.isfinite(losses)]) > losses[0] + rise")],
           {"test_lr_sweep"}, "not finite"),
    mutant("sweep_rise_not_strict", "04_training_loop", "lr_sweep",
           [(DIVERGED, DIVERGED.replace("losses.max() > losses[0] + rise", "losses.max() >= losses[0] + rise"))],
           {"test_lr_sweep"}, "equal to it is not divergence"),
    mutant("chose_a_rate_that_diverged", "04_training_loop", "peak_lr_choice",
           [(CHOICE, "CHOSEN_PEAK_LR = 0.1")], {"test_peak_lr_choice"}, "diverged at 0.1"),
    mutant("chose_the_slowest_rate", "04_training_loop", "peak_lr_choice",
           [(CHOICE, "CHOSEN_PEAK_LR = 1e-3")], {"test_peak_lr_choice"}, "times below the best rate"),
    mutant("chose_a_rate_not_swept", "04_training_loop", "peak_lr_choice",
           [(CHOICE, "CHOSEN_PEAK_LR = 5e-3")], {"test_peak_lr_choice"}, "not one of the swept rates"),
]
