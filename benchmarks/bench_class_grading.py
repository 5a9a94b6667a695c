"""Benchmark: grade a class of 40 synthetic submissions of the whole lab with tools/grade.py.

    uv run python benchmarks/bench_class_grading.py [--students 40] [--jobs 2]

The class: reference solutions, blank (untouched) copies, mutants (tests/mutants.py: the reference
with one misconception) and hostile submissions (tests/hostile.py: hangs, crashes, cheats, escape
attempts, broken files), in proportions a real class might show. Reports the wall time and the
submissions graded per minute; asserts nothing.
"""
import argparse
import itertools
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))
import course  # noqa: E402
from hostile import HOSTILE, MARKER  # noqa: E402
from mutants import MUTANTS  # noqa: E402
from test_autograde import reference_answers  # noqa: E402


def make_class(root, size):
    """size submissions: a tenth reference, a tenth blank, the hostile set, and mutants for the rest."""
    reference = reference_answers()
    kinds = [("reference", reference, None)] * (size // 10) + [("blank", {}, None)] * (size // 10)
    kinds += [(h.student, h.answers(reference), h.damage) for h in HOSTILE]
    for m in itertools.islice(itertools.cycle(MUTANTS), max(0, size - len(kinds))):
        kinds.append((m.student, m.answers(reference), None))
    for number, (kind, answers, damage) in enumerate(kinds[:size]):
        folder = course.hand_in(root, f"s{number:02d}_{kind}", answers)
        if damage:
            damage(folder)
    return len(kinds[:size])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = course.copy_course(Path(tmp) / "course")
        (root / MARKER).write_text("the hostile escape attempt may attack this course\n")
        course.nbgrader(root, "generate_assignment", course.ASSIGNMENT)
        count = make_class(root, args.students)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "tools/grade.py", course.ASSIGNMENT, "--jobs", str(args.jobs), *course.UNCONFINED], cwd=root,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        print(done.stderr.strip().splitlines()[0])
        print(f"{count} submissions graded with {args.jobs} jobs in {seconds:.0f} s "
              f"({count / seconds * 60:.1f} submissions per minute); exit status {done.returncode}")
        print((root / "grading" / "tests.csv").read_text().splitlines()[0:4])


if __name__ == "__main__":
    main()
