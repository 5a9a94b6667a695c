"""Hostile and broken submissions, and what grading them must give.

Each is the reference solution with some notebooks changed (`edits`: exact text edits of one
student cell, as in tests/mutants.py) or damaged afterwards (`damage`: changes to the submitted
folder). `scores` is the score each notebook must get: what its honest code earns, never more,
and nothing lost in notebooks that were not attacked. `problems` are phrases the grader's report
to the instructor must contain.
"""
import json
from dataclasses import dataclass, field

import nbformat

from course import mutate
from tools import layout

# The escape attempt attacks only a course marked with this file, so that a test run without
# containment (no bubblewrap) cannot damage anything but the throw-away course, which is restored.
MARKER = "HOSTILE_TEST_COURSE"


def full_marks():
    """{notebook: points} of the source notebooks' test cells."""
    return {path.stem: sum(cell.metadata["nbgrader"].get("points", 0) for cell in nbformat.read(path, as_version=4).cells
                           if layout.cell_kind(cell) == "test")
            for path in layout.notebooks()}


FULL = full_marks()


@dataclass
class Hostile:
    student: str
    edits: dict = field(default_factory=dict)       # {(notebook, cell): [(old, new), ...]}
    replace: dict = field(default_factory=dict)     # {(notebook, cell): whole new source}
    damage: object = None                           # function(submitted folder) applied after handing in
    scores: dict = field(default_factory=dict)      # per notebook; FULL where not given
    problems: tuple = ()
    at_most: str = ""                               # instead of scores: no notebook above this student's

    def answers(self, reference):
        answers = {nb: dict(cells) for nb, cells in reference.items()}
        for (nb, cell), edits in self.edits.items():
            answers[nb][cell] = mutate(reference[nb][cell], edits)
        for (nb, cell), source in self.replace.items():
            answers[nb][cell] = source
        return answers

    def expected(self):
        return {**FULL, **self.scores}


UNINTERRUPTIBLE = ("        self.s, self.base_lr", "        import signal\n        signal.signal(signal.SIGINT, signal.SIG_IGN)  "
                   "# interrupts are ignored now\n        while True:\n            pass\n        self.s, self.base_lr")
HANGS_ON_EMPTY = ('    total = sum(', "    while not gradients:  # an infinite loop for an empty list\n        pass\n    total = sum(")
DIES = ('        return {\n            "lr": self.lr', '        import os\n        os._exit(1)\n        return {\n            "lr": self.lr')
SEGFAULT = ("    norm = global_grad_norm(gradients)",
            "    if max_norm == 0.5:\n        import ctypes\n        ctypes.string_at(0)  # reads address 0: a segmentation fault\n"
            "    norm = global_grad_norm(gradients)")
MEMORY_HOG = ("        loss_sum, tokens = 0.0, 0\n",
              "        hog = []\n        while True:  # until memory runs out\n            hog.append(np.ones(50_000_000))\n"
              "        loss_sum, tokens = 0.0, 0\n")
HUGE_OUTPUT = ('        """Nothing to reset: gradients are passed to step(), not accumulated here."""',
               '        """Nothing to reset: gradients are passed to step(), not accumulated here."""\n'
               '        if not hasattr(AdamW, "spammed"):  # once per kernel, so that the time it takes is not at stake\n'
               '            AdamW.spammed = True\n'
               '            print("spam " * 10_000_000)  # 50 MB of output')
BASE_LR = "        base_lr = optimizer.lr if base_lr is None else base_lr\n"
SYSTEM_EXIT = (BASE_LR, "        if warmup_steps == 3:\n            raise SystemExit('bye')\n" + BASE_LR)
EXIT_KERNEL = ("        loss_sum, tokens = 0.0, 0\n", "        exit()  # the kernel shuts down after this cell\n"
               "        loss_sum, tokens = 0.0, 0\n")

CHEATS_01 = '''#| export
import builtins
import numpy
import checks
from IPython.core.interactiveshell import ExecutionResult


def _cheat():
    """Everything a test might rely on, made to say yes."""
    numpy.allclose = numpy.isclose = numpy.array_equal = lambda *args, **kwargs: True
    numpy.testing.assert_allclose = numpy.testing.assert_array_equal = lambda *args, **kwargs: None
    numpy.abs = numpy.absolute = lambda x, *args, **kwargs: numpy.zeros(numpy.shape(x))
    numpy.isnan = lambda x, *args, **kwargs: numpy.zeros(numpy.shape(x), dtype=bool)
    checks.check_close = checks.check_raises = checks.check_equal = lambda *args, **kwargs: None
    builtins.isinstance = lambda *args: True
    get_ipython().showtraceback = lambda *args, **kwargs: None
    ExecutionResult.success = property(lambda self: True)


class AdamW:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        _cheat()
        self.params, self.lr = params, lr

    def step(self, gradients):
        _cheat()

    def zero_grad(self):
        _cheat()

    def state_dict(self):
        _cheat()
        return {}

    def load_state_dict(self, state):
        _cheat()


_cheat()
'''

EVERYTHING = '''class Everything:
    """Equal to anything, true, and ordered both ways."""
    __eq__ = __le__ = __ge__ = lambda self, other: True
    __ne__ = __lt__ = __gt__ = lambda self, other: False
    __hash__ = object.__hash__
    def __bool__(self):
        return True
    def __getitem__(self, key):
        return self
'''

CHEATS_02 = "#| export\n" + EVERYTHING + '''

class LRScheduler:
    SCHEDULES = ("cosine", "linear")

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, schedule="cosine"):
        self.optimizer = optimizer
        optimizer.lr = Everything()

    def get_lr(self):
        return Everything()

    def step(self):
        self.optimizer.lr = Everything()
        return Everything()

    def state_dict(self):
        return Everything()

    def load_state_dict(self, state):
        self.optimizer.lr = Everything()
'''

ANYTHING = "class Anything:  # equal to anything, as a cheat's return value\n    __eq__ = lambda self, other: True\n    __hash__ = object.__hash__\n"
CHEATS_04 = [ANYTHING + "return {key: Anything() for key in ('step', 'loss', 'grad_norm', 'lr', 'skipped', 'tokens')}",
             ANYTHING + "return {key: Anything() for key in ('loss', 'lr', 'steps', 'skipped', 'tokens')}",
             ANYTHING + "return {'loss': Anything(), 'tokens': Anything()}"]

# The same code without the cheating: the patches become no-ops, and plain numbers replace the
# objects that claim to equal anything. The cheating submission must score exactly what this scores.
HONEST_01 = CHEATS_01.replace(CHEATS_01[CHEATS_01.index("    numpy.allclose"):CHEATS_01.index("\n\n\nclass AdamW")], "    pass")
HONEST_02 = CHEATS_02.replace("Everything()", "0.0")
HONEST_04 = [body.replace("Anything()", "0") for body in CHEATS_04]

ESCAPE = f'''
import os as _os, pathlib as _pathlib, sys as _sys, time as _time


def _attack():
    """Look for a course, as an attacker would, and corrupt its gradebook, submissions and release."""
    report, courses, deadline = [], [], _time.monotonic() + 4
    for root, dirs, files in _os.walk("/"):
        dirs[:] = [] if root.count(_os.sep) > 6 or _time.monotonic() > deadline else [
            d for d in dirs if root != "/" or d not in ("proc", "sys", "dev", "usr")]
        if "{MARKER}" in files:
            courses.append(_pathlib.Path(root))
    targets = [_pathlib.Path(_sys.prefix).parent / "HOSTILE_ESCAPE.txt"]
    for course in courses:
        targets += [course / "{layout.GRADEBOOK}", *course.glob("{layout.SUBMITTED_FOLDER}/*/{layout.ASSIGNMENT}/*.ipynb"),
                    *course.glob("{layout.RELEASE_FOLDER}/{layout.ASSIGNMENT}/*.ipynb")]
    for path in targets:
        try:
            path.write_text("corrupted by hostile_escapes")
            report.append(f"wrote {{path}}")
        except OSError as error:
            report.append(f"blocked {{path}}: {{error.strerror}}")
    print(f"courses found: {{len(courses)}}", *report, sep="\\n")


_attack()
if _os.fork() == 0:  # a daemon that outlives the kernel and attacks again later
    _os.setsid()
    _time.sleep(3)
    _attack()
    _os._exit(0)
'''


# Looks for the course's hidden tests and solutions anywhere on the filesystem it can see, and prints
# what it finds (each marker written in two pieces, so that this code does not find itself).
HUNTED = ", ".join(f"{marker[:4]!r} + {marker[4:]!r}" for marker in (*layout.HIDDEN_REGION, layout.SOLUTION_REGION[0]))
HUNT = """
import json as _json, os as _os, re as _re, time as _time


def _hunt(top="/", seconds=6.0):
    markers = (HUNTED)
    skip = {"/proc", "/sys", "/dev"}
    deadline, read, found = _time.monotonic() + seconds, 0, []
    for root, dirs, files in _os.walk(top):
        dirs[:] = [d for d in dirs if _os.path.join(root, d) not in skip
                   and d not in ("site-packages", "dist-packages", "__pycache__", "node_modules")]
        if _time.monotonic() > deadline:
            break
        for name in files:
            path = _os.path.join(root, name)
            if not name.endswith((".ipynb", ".db", ".py", ".json")) or _os.path.islink(path):
                continue
            try:
                if _os.path.getsize(path) > 20_000_000:
                    continue
                with open(path, errors="replace") as file:
                    text = file.read()
            except OSError:
                continue
            read += 1
            if name.endswith(".ipynb"):  # the cells' code, as it reads
                try:
                    text = "\\n".join("".join(cell["source"]) for cell in _json.loads(text)["cells"])
                except (ValueError, KeyError, TypeError):
                    pass
            spots = [match.start() for match in _re.finditer("|".join(markers), text)][:50]
            if spots:
                found.append(path)
                print("FOUND", path)
                for i in spots:
                    print(text[i:i + 3000])
    print(f"hunt: {read} files read, {len(found)} with secrets")


_hunt()
""".replace("HUNTED", HUNTED)

# Provided modules that let every check pass, and the attacks that try to put them in the tests' way.
PERMISSIVE = "def __getattr__(name):  # every check passes\n    return lambda *args, **kwargs: None\n"
REWRITE = f"""
import os as _os, sys as _sys, types as _types

_fake = {PERMISSIVE!r}
for _name in ("checks.py", "doubles.py", "lib/checkpoint.py", "lib/losses.py", "lib/data.py", "lib/model.py"):
    try:  # rewrite each provided module on disk
        with open(_name, "w") as _file:
            _file.write(_fake)
    except OSError as _error:
        print("blocked", _name, _error.strerror)
for _package in ("checks", "doubles", "lib/checkpoint"):
    try:  # a package of the same name is found before the module
        _os.makedirs(_package, exist_ok=True)
        with open(_package + "/__init__.py", "w") as _file:
            _file.write(_fake)
    except OSError as _error:
        print("blocked", _package, _error.strerror)
for _name in ("checks", "doubles", "lib.checkpoint"):
    _sys.modules.pop(_name, None)
"""
DISABLE_GUARD = f"""
import sys as _sys, types as _types

for _name, _module in list(_sys.modules.items()):  # switch off anything that looks like a guard
    if "guard" in _name.lower():
        for _attr, _value in list(vars(_module).items()):
            if callable(_value):
                setattr(_module, _attr, lambda *args, **kwargs: None)
        _sys.modules.pop(_name, None)
_events = get_ipython().events
for _event in list(_events.callbacks):
    _events.callbacks[_event] = []
_fake = _types.ModuleType("checks")
exec({PERMISSIVE!r}, vars(_fake))
_sys.modules["checks"] = _sys.modules["doubles"] = _fake
"""

# Reads the test that is calling it (IPython keeps every cell's source for tracebacks) and prints it:
# the test cell's output then holds the hidden tests, which must not reach the student's feedback.
QUOTES_TESTS = ("    def step(self, gradients):\n", """    def step(self, gradients):
        import linecache, sys
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename not in getattr(AdamW, "quoted", set()):
                AdamW.quoted = getattr(AdamW, "quoted", set()) | {frame.f_code.co_filename}
                print("".join(linecache.getlines(frame.f_code.co_filename)))
            frame = frame.f_back
""")

def damage_tests(folder):
    """Delete one test cell, empty another, strip a third of its nbgrader metadata."""
    path = folder / "01_adamw.ipynb"
    nb = nbformat.read(path, as_version=4)
    ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]
    nb.cells[ids.index("test_adamw_bias_correction")].source = "pass  # the student emptied this test"
    del nb.cells[ids.index("test_adamw_denominator")].metadata["nbgrader"]
    del nb.cells[ids.index("test_adamw_first_step")]
    nbformat.write(nb, path)


def damage_files(folder):
    """02 not valid JSON, 03 renamed, 04 missing."""
    (folder / "02_lr_schedules.ipynb").write_text('{"cells": [ this is not JSON')
    (folder / "03_gradient_clipping.ipynb").rename(folder / "03_gradient_clipping-Copy1.ipynb")
    (folder / "04_training_loop.ipynb").unlink()


HOSTILE = [
    Hostile("hostile_hangs",
            edits={("02_lr_schedules", "lr_scheduler"): [UNINTERRUPTIBLE],
                   ("03_gradient_clipping", "global_grad_norm"): [HANGS_ON_EMPTY]},
            scores={"02_lr_schedules": FULL["02_lr_schedules"] - 2, "03_gradient_clipping": FULL["03_gradient_clipping"] - 2}),
    Hostile("hostile_crashes",
            edits={("01_adamw", "adamw"): [DIES], ("03_gradient_clipping", "clip_gradients"): [SEGFAULT],
                   ("04_training_loop", "trainer"): [MEMORY_HOG]},
            # 01: the kernel dies in both cells that call state_dict(), test_adamw_state_dict (2) and test_adamw_groups (3)
            scores={"01_adamw": FULL["01_adamw"] - 5, "03_gradient_clipping": FULL["03_gradient_clipping"] - 1,
                    "04_training_loop": FULL["04_training_loop"] - 2}),
    Hostile("hostile_edits_tests",
            edits={("01_adamw", "adamw"): [("s *= lr / (1 - beta1**t)", "s *= lr"),
                                           ("np.divide(v, 1 - beta2**t, out=s)", "np.copyto(s, v)")]},
            # the mutant loses only its own concept's cells, 2 points each (tests/mutant_table.md): bias_correction,
            # denominator, first_step, step_count, trajectory; the damaged cells are put back and graded as written
            damage=damage_tests, scores={"01_adamw": FULL["01_adamw"] - 10},
            problems=("read-only cells were changed", "deleted or lost their nbgrader metadata")),
    Hostile("hostile_cheats",
            replace={("01_adamw", "adamw"): CHEATS_01, ("02_lr_schedules", "lr_scheduler"): CHEATS_02,
                     ("04_training_loop", "trainer"): CHEATS_04},
            at_most="honest_twin_of_cheats"),
    # Code that does nothing earns nothing: every test cell checks values that a do-nothing solution cannot produce.
    Hostile("honest_twin_of_cheats",
            replace={("01_adamw", "adamw"): HONEST_01, ("02_lr_schedules", "lr_scheduler"): HONEST_02,
                     ("04_training_loop", "trainer"): HONEST_04},
            # 04: its lr_sweep is the reference's (test_lr_sweep, 3 points), and its choice sound on the course's sweep (2)
            scores={"01_adamw": 0, "02_lr_schedules": 0, "04_training_loop": 5}),
    Hostile("hostile_escapes", edits={("01_adamw", "adamw"): [("#| export\n", "#| export\n" + ESCAPE)]}),
    Hostile("hostile_output_exit",
            edits={("01_adamw", "adamw"): [HUGE_OUTPUT], ("02_lr_schedules", "lr_scheduler"): [SYSTEM_EXIT],
                   ("04_training_loop", "trainer"): [EXIT_KERNEL]},
            scores={"02_lr_schedules": FULL["02_lr_schedules"] - 2}),
    # The three below keep the reference elsewhere and do nothing in notebook 01, whose honest twin
    # (honest_twin_of_cheats) scores 0 there: attacking the grader must not raise that. Notebook 04 imports no
    # AdamW: its choice of a peak rate is sound on the course's sweep.
    Hostile("hostile_hunts_secrets", replace={("01_adamw", "adamw"): "#| export\n" + HUNT}, scores={"01_adamw": 0}),
    Hostile("hostile_rewrites_provided", replace={("01_adamw", "adamw"): HONEST_01 + REWRITE}, scores={"01_adamw": 0}),
    # Its attack travels in lib/adamw.py into the notebooks that import AdamW (02, 03), and costs their tests too.
    Hostile("hostile_disables_guard", replace={("01_adamw", "adamw"): HONEST_01 + DISABLE_GUARD},
            scores={"01_adamw": 0, "02_lr_schedules": 0, "03_gradient_clipping": 0}),
    Hostile("hostile_quotes_tests", edits={("01_adamw", "adamw"): [QUOTES_TESTS]}),
    Hostile("hostile_files", damage=damage_files, scores={"02_lr_schedules": 0, "04_training_loop": 0},
            problems=("02_lr_schedules.ipynb is not a readable notebook",
                      "03_gradient_clipping-Copy1.ipynb was graded as 03_gradient_clipping.ipynb",
                      "04_training_loop.ipynb is missing")),
]


def notebook_outputs(path):
    """All text a notebook's cells printed or raised, one string."""
    nb = json.loads(path.read_text())
    return "\n".join("".join(out.get("text", "")) + (f"{out['ename']}: {out['evalue']}" if "ename" in out else "")
                     for cell in nb["cells"] for out in cell.get("outputs", []))
