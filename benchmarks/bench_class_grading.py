"""Benchmark: grade a class of synthetic submissions of the whole lab with tools/grade.py.

    uv run python benchmarks/bench_class_grading.py [--students 40] [--jobs 2] [--course PATH]

The class is handed in with tools/handin.py, in proportions a real class might show (for 40 students:
16 reference solutions, 4 untouched releases, 10 partial submissions with the first 1, 2 or 3 notebooks
done, 8 with a typical bug, one with an infinite loop in AdamW.step(), one with a notebook that is not
valid JSON). --course grades the same class with another checkout's course files (layout.COURSE_FILES),
e.g. an older grader:

    git worktree add /tmp/old eb639b1 && uv run python benchmarks/bench_class_grading.py --course /tmp/old

Reports the wall time and the submissions graded per minute; asserts nothing.
"""
import argparse
import itertools
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools import handin, layout  # noqa: E402

# Typical bugs, each an exact edit of one reference cell (as in tests/mutants_0N.py, whose names they keep).
BUGS = {
    "no_bias_correction": ("01_adamw", "adamw", [("np.divide(v, 1 - beta2**t, out=s)", "np.copyto(s, v)"),
                                                 ("s *= lr / (1 - beta1**t)", "s *= lr")]),
    "warmup_off_by_one": ("02_lr_schedules", "lr_scheduler", [("return self.base_lr * s / W", "return self.base_lr * (s + 1) / W")]),
    "always_scales": ("03_gradient_clipping", "clip_gradients", [("if math.isfinite(norm) and norm > max_norm:", "if math.isfinite(norm):")]),
    "reports_next_lr": ("04_training_loop", "trainer", [('"lr": lr, "skipped"', '"lr": self.optimizer.lr, "skipped"')]),
}
# An infinite loop at the top of AdamW.step(): every test that steps the optimizer runs into its time limit.
HANGS = ("01_adamw", "adamw", [("        gradients = list(gradients)\n",
                                "        while True:\n            pass\n        gradients = list(gradients)\n")])
NOT_JSON = "02_lr_schedules"  # the notebook the broken submission saved half-way


def kinds(size):
    """The kinds of submission of a class of size, in a real class's proportions (a tenth untouched, a quarter
    partial, a fifth with a bug, the rest the reference); from 10 students, one that hangs and one not JSON."""
    odd = ["hangs", "not_json"] if size >= 10 else []
    blank, partial, buggy = (round(size * share) for share in (0.1, 0.25, 0.2))
    partials = [f"partial_{k}" for k in itertools.islice(itertools.cycle((1, 2, 3)), partial)]
    bugs = [f"bug_{name}" for name in itertools.islice(itertools.cycle(BUGS), buggy)]
    return ["reference"] * (size - len(odd) - blank - partial - buggy) + ["blank"] * blank + partials + bugs + odd


def with_edit(reference, notebook, cell, edits):
    """The reference answers with one cell edited."""
    return {**reference, notebook: {**reference[notebook], cell: handin.mutate(reference[notebook][cell], edits)}}


def answers(kind, reference):
    """The answers a submission of this kind hands in."""
    if kind == "blank":
        return {}
    if kind.startswith("partial_"):
        return dict(itertools.islice(reference.items(), int(kind.removeprefix("partial_"))))
    if kind.startswith("bug_"):
        return with_edit(reference, *BUGS[kind.removeprefix("bug_")])
    return with_edit(reference, *HANGS) if kind == "hangs" else reference


def make_class(root, size):
    """Hand in size submissions in the course at root; return their student ids."""
    reference = handin.reference_answers(root)
    students = []
    for number, kind in enumerate(kinds(size)):
        students.append(f"s{number:02d}_{kind}")
        folder = handin.hand_in(root, students[-1], answers(kind, reference))
        if kind == "not_json":
            (folder / f"{NOT_JSON}.ipynb").write_text('{"cells": [{"cell_type": "code", "sour')
    return students


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--course", type=Path, default=layout.ROOT,
                        help="the checkout whose course files (and so grader) grade the class (default: this one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = handin.copy_course(Path(tmp) / "course", course=args.course)
        handin.nbgrader(root, "generate_assignment", layout.ASSIGNMENT)
        count = len(make_class(root, args.students))
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "tools/grade.py", layout.ASSIGNMENT, "--jobs", str(args.jobs), *handin.UNCONFINED],
                              cwd=root, env=handin.quiet_env(root / ".home"), capture_output=True, text=True)
        seconds = time.perf_counter() - start
        print(f"course files from {args.course.resolve()}")
        print(next(iter(done.stderr.strip().splitlines()), "(grade.py wrote nothing to stderr)"))
        print(f"{count} submissions graded with {args.jobs} jobs in {seconds:.0f} s "
              f"({count / seconds * 60:.1f} submissions per minute); exit status {done.returncode}")
        tests = root / "grading" / "tests.csv"
        print(tests.read_text().splitlines()[:4] if tests.exists() else done.stderr[-2000:])


if __name__ == "__main__":
    main()
