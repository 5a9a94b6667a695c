"""Run one notebook's test cells against a submission, fast: no nbgrader, no gradebook, one kernel.

The notebook is built from the *source* notebook (so it reflects edits not yet released): solution
cells hold the submission's code (the reference where it gives none), demonstration cells are left
out (as GuardedExecute does at grading), and with visible=True the hidden test regions are removed,
which is exactly what a student runs before submitting. Returns {test grade_id: None if it passed,
else "Ename: message"}.

    uv run python tests/cellrun.py 01_adamw                      # the reference, hidden tests included
    uv run python tests/cellrun.py 01_adamw --visible --mutant t_not_advanced
    uv run python tests/cellrun.py 04_training_loop --submission alt_2
    uv run python tests/cellrun.py 03_gradient_clipping --do-nothing
    uv run python tests/cellrun.py --catch       # every mutant against the visible tests: the README's table

The autograding proof (tests/test_autograde.py) still goes through `nbgrader autograde`; this is the
quick loop for writing tests and solutions, and the measure of what the visible tests catch.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # tests/ and the course root (tools.layout), also when run as a script
import course  # noqa: E402
from tools.layout import HIDDEN_REGION, SOLUTION_REGION, cell_kind, notebooks, region  # noqa: E402

IGNORED_STDERR = re.compile(r"\w*Warning: ")  # nbgrader_config.py's IgnorePattern: warnings cost no points
HIDDEN, SOLUTION = region(HIDDEN_REGION), region(SOLUTION_REGION)
FINISHED = "cellrun: this test ran to its end"


def visible_code(source):
    """The lines a student sees run: hidden regions removed, comments and blank lines dropped."""
    return [line for line in HIDDEN.sub("", source).splitlines() if line.strip() and not line.strip().startswith("#")]


def stubbed(source):
    """A solution cell as released: every solution region becomes `# YOUR CODE HERE` / raise NotImplementedError()."""
    return SOLUTION.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()", source)


def answer_source(reference_cell, answer):
    """The student cell's source for an answer: a whole cell (str) or the bodies of its stubs (list)."""
    if answer is None:
        return course.without_solution_markers(reference_cell)
    if isinstance(answer, list):
        return course.fill_stubs(stubbed(reference_cell), answer)
    return answer


def do_nothing_answers():
    """{notebook: {cell: bodies}}: every stub of every student cell becomes `pass`."""
    found = {}
    for path in notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            if cell_kind(cell) == "student":
                stubs = len(SOLUTION.findall(cell.source))
                found.setdefault(path.stem, {})[cell.metadata["nbgrader"]["grade_id"]] = ["pass"] * stubs
    return found


def build_folder(folder, answers, visible):
    """A student folder made from the source notebooks with answers in; lib/ exported from it."""
    folder = Path(folder)
    for path in course.SOURCE.iterdir():
        if path.name == "lib":
            shutil.copytree(path.resolve(), folder / "lib", ignore=shutil.ignore_patterns("__pycache__"))
        elif path.is_dir():
            shutil.copytree(path, folder / path.name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        elif path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if cell_kind(cell) == "student":
                    cell.source = answer_source(cell.source, answers.get(path.stem, {}).get(grade_id))
                elif cell_kind(cell) == "test" and visible:
                    cell.source = HIDDEN.sub("", cell.source)
            nbformat.write(nb, folder / path.name)
        else:
            shutil.copy(path, folder / path.name)
    subprocess.run([sys.executable, "-m", "lib.export"], cwd=folder, check=True, capture_output=True)
    return folder


def run(notebook, answers=None, visible=False, timeout=60):
    """{test grade_id: None or 'Ename: message'} for one notebook executed with answers."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_folder(tmp, answers or {}, visible)
        nb = nbformat.read(folder / f"{notebook}.ipynb", as_version=4)
        nb.cells = [cell for cell in nb.cells if cell.cell_type == "code" and cell_kind(cell) != "other"]
        for cell in nb.cells:
            if cell_kind(cell) == "test":  # a test that ran to its end prints this (none does if the kernel died)
                cell.source += f"\nprint({FINISHED!r})"
        env = {**os.environ, "NBGRADER_EXECUTION": "autograde", "PYTHONDONTWRITEBYTECODE": "1"}
        for attempt in (1, 2, 3):  # kernels started at once can race for a free port: the kernel dies at start
            client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                                    resources={"metadata": {"path": str(folder)}})
            try:
                client.execute(env=env, cwd=str(folder))
            except DeadKernelError:  # the tests from the one that killed it never finish: they fail
                pass
            except RuntimeError as error:
                if "before replying to kernel_info" in str(error) and attempt < 3:
                    continue
                raise
            break
    results = {}
    for cell in nb.cells:
        if cell_kind(cell) == "test":
            errors = [out for out in cell.outputs if out.output_type == "error"]
            stderr = "".join(out.text for out in cell.outputs if out.output_type == "stream" and out.name == "stderr"
                             and not IGNORED_STDERR.search(out.text))
            finished = any(FINISHED in out.get("text", "") for out in cell.outputs if out.output_type == "stream")
            failure = (f"{errors[0].ename}: {errors[0].evalue}" if errors else f"stderr: {stderr[:300]}" if stderr.strip()
                       else None if finished else "KernelDied: the kernel died in this cell or before it")
            results[cell.metadata["nbgrader"]["grade_id"]] = failure
        elif cell_kind(cell) != "test" and any(out.output_type == "error" for out in cell.outputs):
            error = next(out for out in cell.outputs if out.output_type == "error")
            results[f"<{cell_kind(cell)} cell {cell.metadata.get('nbgrader', {}).get('grade_id', '?')}>"] = f"{error.ename}: {error.evalue}"
    return results


def run_in_subprocess(notebook, *options):
    """run() in a fresh interpreter (so that many can run at once): {grade_id: None or message}."""
    done = subprocess.run([sys.executable, __file__, notebook, *options, "--json"], capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"cellrun {notebook} {' '.join(options)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def visible_points(notebook):
    """(points of test cells a student can run, all points) of a source notebook."""
    shown = total = 0
    for cell in nbformat.read(course.SOURCE / f"{notebook}.ipynb", as_version=4).cells:
        if cell_kind(cell) == "test":
            points = cell.metadata["nbgrader"].get("points", 0)
            total += points
            shown += points if visible_code(cell.source) else 0
    return shown, total


def catch_report(jobs=2):
    """{notebook: {"caught": [...], "missed": [...], "points": (visible, all)}}: which mutants fail a visible test."""
    from concurrent.futures import ThreadPoolExecutor
    from mutants import MUTANTS
    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda m: run_in_subprocess(m.notebook, "--visible", "--mutant", m.name), MUTANTS))
    report = {notebook: {"caught": [], "missed": [], "points": visible_points(notebook)}
              for notebook in dict.fromkeys(m.notebook for m in MUTANTS)}
    for m, result in zip(MUTANTS, results):
        report[m.notebook]["caught" if any(result.values()) else "missed"].append(m.name)
    return report


def catch_table(report):
    """The README's grading figures, as markdown rows."""
    rows = ["| notebook | mutants caught by visible tests | points in cells with visible checks |", "|---|---|---|"]
    for notebook, entry in sorted(report.items()):
        caught, total = len(entry["caught"]), len(entry["caught"]) + len(entry["missed"])
        rows.append(f"| {notebook} | {caught} / {total} ({caught / total:.0%}) | {entry['points'][0]} / {entry['points'][1]} |")
    return "\n".join(rows)


def submission_answers(name):
    """The answers of tests/submissions/<name>/ (see test_autograde.answers_in)."""
    from test_autograde import answers_in
    return answers_in(HERE / "submissions" / name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", help="a notebook stem, e.g. 01_adamw")
    parser.add_argument("--catch", action="store_true", help="run every mutant against the visible tests; print the table")
    parser.add_argument("--visible", action="store_true", help="visible tests only (what a student runs)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--mutant", help="a mutant's name from tests/mutants.py")
    group.add_argument("--submission", help="a folder of tests/submissions/")
    group.add_argument("--do-nothing", action="store_true", help="every stub body replaced by `pass`")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    if args.catch:
        report = catch_report()
        print(catch_table(report))
        for notebook, entry in sorted(report.items()):
            print(f"{notebook}: not caught by a visible test: {', '.join(entry['missed']) or 'none'}")
        return
    answers = {}
    if args.mutant:
        from mutants import MUTANTS
        m = next(m for m in MUTANTS if m.name == args.mutant and m.notebook == args.notebook)
        answers = {m.notebook: m.answers({m.notebook: course.solution_sources(course.SOURCE / f"{m.notebook}.ipynb")})[m.notebook]}
    elif args.submission:
        answers = submission_answers(args.submission)
    elif args.do_nothing:
        answers = do_nothing_answers()
    results = run(args.notebook, answers, visible=args.visible)
    if args.json:
        print(json.dumps(results))
        return
    for grade_id, failure in results.items():
        print(f"{'PASS' if failure is None else 'FAIL'} {grade_id}" + ("" if failure is None else
              "\n" + textwrap.indent(textwrap.shorten(failure, 400), "     ")))


if __name__ == "__main__":
    main()
