"""Mutants of 02_lr_schedules: see mutation.py."""
from mutation import mutant

NOTEBOOK = "02_lr_schedules"
# Cells whose purpose is end-to-end (see mutation.py): a failure there names the mistake it matches.
END_TO_END = set()
# Cells a mutant still fails outside its concept and END_TO_END: a debt, listed so that no new one goes unnoticed.
KNOWN_LEAKS = {  # measured by tests/mutant_table.py; the tests compare the student's code with itself (a resumed scheduler
    # with the uninterrupted one, base_lr given with base_lr = optimizer.lr, optimizer.lr with step() and get_lr()), except:
    # a scheduler that reads optimizer.lr again also resumes wrong, since a rebuilt optimizer's lr is not the saved run's
    "base_lr_read_again": {"test_schedule_state_dict"},
    # base_lr ignored lets min_lr above the given base_lr (below optimizer.lr) through: a refusal the bad-input test checks
    "base_lr_argument_ignored": {"test_schedule_bad_input"},
}

STEP = "        self.s += 1\n        self.optimizer.lr = self.get_lr()\n        return self.optimizer.lr"
COSINE = "self.min_lr + 0.5 * (self.base_lr - self.min_lr) * (1 + math.cos(math.pi * p))"
LINEAR = "return self.base_lr - (self.base_lr - self.min_lr) * p"
PROGRESS = "p = min(1.0, (s - W) / (T - W)) if T > W else 1.0"
LOAD = 'self.schedule, self.warmup_steps, self.total_steps = state["schedule"], state["warmup_steps"], state["total_steps"]\n'
STATE = ('return {"s": self.s, "base_lr": self.base_lr, "min_lr": self.min_lr, "schedule": self.schedule,\n'
         '                "warmup_steps": self.warmup_steps, "total_steps": self.total_steps}')

MUTANTS = [
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
           {"test_schedule_warmup", "test_schedule_edge_cases", "test_schedule_base_lr"}, "the constructor writes eta(0)"),
    mutant("base_lr_read_again", "02_lr_schedules", "lr_scheduler",
           [(COSINE, COSINE.replace("(self.base_lr - self.min_lr)", "(self.optimizer.lr - self.min_lr)"))],
           {"test_schedule_writes_optimizer", "test_schedule_cosine"}, "read optimizer.lr once"),
    mutant("base_lr_not_restored", "02_lr_schedules", "lr_scheduler",
           [('self.s, self.base_lr, self.min_lr = int(state["s"]), state["base_lr"], state["min_lr"]',
             'self.s, self.min_lr = int(state["s"]), state["min_lr"]')],
           {"test_schedule_state_dict"}, "restore base_lr"),
    mutant("unknown_schedule_accepted", "02_lr_schedules", "lr_scheduler",
           [("if schedule not in self.SCHEDULES:", "if False:")],
           {"test_schedule_bad_input_visible", "test_schedule_bad_input"}, "unknown schedule must be refused"),
    # --- the base_lr argument (issue 11: a second scheduler, a scheduler rebuilt on a resumed optimizer)
    mutant("base_lr_argument_ignored", "02_lr_schedules", "lr_scheduler",
           [("base_lr = optimizer.lr if base_lr is None else base_lr", "base_lr = optimizer.lr")],
           {"test_schedule_base_lr", "test_schedule_state_dict"}, "whatever optimizer.lr holds"),
    mutant("min_lr_checked_against_optimizer_lr", "02_lr_schedules", "lr_scheduler",
           [("if not 0 <= min_lr <= base_lr:", "if not 0 <= min_lr <= optimizer.lr:")],
           {"test_schedule_base_lr", "test_schedule_state_dict", "test_schedule_bad_input"}, "check min_lr against"),
    # --- the linear decay, and warmup_steps = total_steps
    mutant("linear_min_lr_ignored", "02_lr_schedules", "lr_scheduler",
           [(LINEAR, "return self.base_lr * (1 - p)")],
           {"test_schedule_linear"}, "ignores min_lr"),
    mutant("linear_uses_cosine", "02_lr_schedules", "lr_scheduler",
           [('if self.schedule == "cosine":', "if True:")],
           {"test_schedule_linear"}, "still decays along a cosine"),
    mutant("warmup_equals_total_divides_by_zero", "02_lr_schedules", "lr_scheduler",
           [(PROGRESS, "p = min(1.0, (s - W) / (T - W))")],
           {"test_schedule_edge_cases"}, "divides by T - W = 0"),
    mutant("warmup_equals_total_peaks", "02_lr_schedules", "lr_scheduler",
           [(PROGRESS, "p = min(1.0, (s - W) / max(T - W, 1))")],
           {"test_schedule_edge_cases"}, "you used p = 0"),
    # --- resuming
    mutant("load_does_not_write_lr", "02_lr_schedules", "lr_scheduler",
           [(LOAD + "        self.optimizer.lr = self.get_lr()", LOAD.rstrip("\n"))],
           {"test_schedule_state_dict"}, "write eta(s) into optimizer.lr"),
    mutant("state_dict_returns_vars", "02_lr_schedules", "lr_scheduler",
           [(STATE, "return vars(self)")],
           {"test_schedule_state_dict"}, "cannot be stored in a checkpoint"),
    mutant("state_dict_not_a_snapshot", "02_lr_schedules", "lr_scheduler",
           [(STATE, "self._state = getattr(self, '_state', {})\n        self._state.update(s=self.s, base_lr=self.base_lr, "
                    "min_lr=self.min_lr, schedule=self.schedule,\n                           warmup_steps=self.warmup_steps, "
                    "total_steps=self.total_steps)\n        return self._state"),
            ("        self.s += 1\n", "        self.s += 1\n        if hasattr(self, '_state'):\n            self._state['s'] = self.s\n")],
           {"test_schedule_state_dict"}, "a new dict (a snapshot)"),
]
