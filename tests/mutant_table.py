"""Which test cells each mutant fails (hidden parts included): the README's table of mutants.

A mutant is one known mistake (tests/mutation.py). It must lose the points of its own concept's cells
(`must_fail`) and of no other cell, except the notebook's end-to-end cells (END_TO_END in
tests/mutants_0N.py: whole trajectories, whole runs), which any mistake in the code they run may break
and whose message must then name it, and the leaks still listed in KNOWN_LEAKS (a debt).

    uv run python tests/mutant_table.py                    # every mutant: the markdown table (about 10 minutes)
    uv run python tests/mutant_table.py 01_adamw           # one notebook's mutants
    uv run python tests/mutant_table.py 01_adamw --mutant eps_inside_sqrt --messages

It runs tests/cellrun.py (one kernel per mutant, two at a time); tests/test_autograde.py asserts the same
through `nbgrader autograde`.
"""
import argparse
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cellrun  # noqa: E402
from mutants import END_TO_END, KNOWN_LEAKS, MUTANTS  # noqa: E402


def failing_cells(results):
    """The test cells (and errors outside test cells, as <...>) that lost points: {grade_id: message}."""
    return {cell: failure for cell, failure in results.items() if failure is not None}


def leaks(mutant):
    """The cells outside its concept that the mutant is known to fail still (mutants_0N.KNOWN_LEAKS)."""
    return KNOWN_LEAKS.get((mutant.notebook, mutant.name), frozenset())


def stray_cells(mutant, failed):
    """Failed cells that are neither the mutant's concept, nor end-to-end, nor a listed leak: a new leak."""
    return sorted(set(failed) - mutant.must_fail - END_TO_END.get(mutant.notebook, frozenset()) - leaks(mutant))


def healed_leaks(mutant, failed):
    """Listed leaks that no longer happen: remove them from KNOWN_LEAKS, so that they cannot come back unnoticed."""
    return sorted(leaks(mutant) - set(failed))


def kept_cells(mutant, failed):
    """Cells of the mutant's concept that it passes: the concept's tests do not catch it."""
    return sorted(mutant.must_fail - set(failed))


def says_nothing(mutant, failed):
    """True if no failing cell of the mutant's concept has its phrase (mutant.says) in its message."""
    return not any(mutant.says in failed.get(cell, "") for cell in mutant.must_fail)


def unnamed_end_to_end(mutant, failed):
    """End-to-end cells that failed without naming the mutant's mistake (mutant.known_as) in their message."""
    return sorted(cell for cell in set(failed) & END_TO_END.get(mutant.notebook, frozenset())
                  if mutant.known_as not in failed[cell])


def run_all(mutants, jobs=2):
    """[(mutant, {cell: message}) ...]: every mutant against its notebook's tests, hidden parts included."""
    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda m: cellrun.run_in_subprocess(m.notebook, "--mutant", m.name), mutants))
    return [(m, failing_cells(result)) for m, result in zip(mutants, results)]


def short(cell, notebook):
    """A test cell's name without the notebook's common prefix (test_adamw_trajectory -> trajectory)."""
    prefix = {"01_adamw": "test_adamw_", "02_lr_schedules": "test_schedule_", "03_gradient_clipping": "test_",
              "04_training_loop": "test_"}.get(notebook, "test_")
    return cell[len(prefix):] if cell.startswith(prefix) else cell


def table(rows):
    """Markdown: one table per notebook, a row per mutant; concept cells in bold, end-to-end cells in italics."""
    out = ["Every mutant of `tests/mutants_0N.py` against every test cell of its notebook, hidden parts included "
           "(`uv run python tests/mutant_table.py`). **bold**: a cell of the mutant's own concept (`must_fail`); "
           "*italic*: an end-to-end cell, whose message then names the mistake; \"outside its concept\": the mistake costs "
           "points in another concept's test (\"known\": listed in KNOWN_LEAKS, a debt still to pay).", ""]
    for notebook in dict.fromkeys(m.notebook for m, _ in rows):
        end_to_end = END_TO_END.get(notebook, frozenset())
        out += [f"#### {notebook} (end-to-end: {', '.join(sorted(short(c, notebook) for c in end_to_end)) or 'none'})", "",
                "| mutant | test cells that lose points |", "|---|---|"]
        for m, failed in rows:
            if m.notebook != notebook:
                continue
            shown = [f"**{short(c, notebook)}**" if c in m.must_fail else f"*{short(c, notebook)}*" if c in end_to_end
                     else f"{short(c, notebook)} (outside its concept{', known' if c in leaks(m) else ''})"
                     for c in sorted(failed)]
            shown += [f"~~{short(c, notebook)}~~ (passes: not caught)" for c in kept_cells(m, failed)]
            out.append(f"| `{m.name}` | {', '.join(shown)} |")
        out.append("")
    return "\n".join(out)


def problems(rows):
    """Lines describing every violation: stray cells, concept cells passed, end-to-end cells silent about the mistake."""
    found = []
    for m, failed in rows:
        for label, cells in (("fails outside its concept", stray_cells(m, failed)),
                             ("passes its own concept's", kept_cells(m, failed)),
                             ("no longer fails these KNOWN_LEAKS", healed_leaks(m, failed)),
                             (f"fails end-to-end without naming {m.known_as!r}", unnamed_end_to_end(m, failed))):
            if cells:
                found.append(f"{m.notebook} {m.name} {label}: {', '.join(cells)}")
        if says_nothing(m, failed):
            found.append(f"{m.notebook} {m.name}: no failing cell of its concept says {m.says!r}")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", help="only this notebook's mutants, e.g. 01_adamw")
    parser.add_argument("--mutant", help="only these mutants (names separated by commas)")
    parser.add_argument("--messages", action="store_true", help="print every failing cell's message")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    chosen = [m for m in MUTANTS if (not args.notebook or m.notebook == args.notebook) and (not args.mutant or m.name in args.mutant.split(","))]
    rows = run_all(chosen, args.jobs)
    print(table(rows))
    if args.messages:
        for m, failed in rows:
            print(f"\n{m.notebook} {m.name}:")
            for cell, message in sorted(failed.items()):
                print(f"  {cell}:\n" + textwrap.indent(textwrap.fill(message, 150), "      "))
    found = problems(rows)
    known = sum(len(leaks(m)) for m, _ in rows)
    print("\n".join(["", "problems:", *found]) if found else "\nno problems: every mutant fails its concept's cells, and "
          f"outside them only end-to-end cells that name it, and the {known} leaks still listed in KNOWN_LEAKS", file=sys.stderr)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
