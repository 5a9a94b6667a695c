"""Rebuild everything generated from the source notebooks, in order:

  1. (with --execute) re-run the source notebooks in place, so their committed outputs are current;
  2. export lib/ from them (lib/export.py);
  3. regenerate release/ with nbgrader, which also builds the student kit's lib/ (tools/kit.py).

    uv run python tools/build.py [--execute]

The tests check that lib/ and release/ are exactly what steps 2 and 3 produce.
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the course root
from lib.export import export_assignment  # noqa: E402
from tools.layout import ASSIGNMENT, ROOT, notebooks, release, reproducible_numerics, source  # noqa: E402

# Notebook metadata kept in the committed notebooks: nothing that names a machine or a version.
METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}


def execute(path):
    """Run a notebook in its own folder and save it with its outputs and clean metadata."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timestamps: noise in every diff
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env={**os.environ, **reproducible_numerics()})  # the digits nbval will see again
    nb.metadata = nbformat.from_dict(METADATA)
    for cell in nb.cells:  # widget views (progress bars, sliders) cannot render without the live kernel
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs if "application/vnd.jupyter.widget-view+json" not in out.get("data", {})]
    nbformat.write(nb, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute", action="store_true", help="re-run the source notebooks first")
    args = parser.parse_args()
    if args.execute:
        for path in notebooks():
            print(f"executing {path.relative_to(ROOT)}")
            execute(path)
    rewritten = export_assignment(source())
    print(f"lib/: rewrote {', '.join(rewritten)}" if rewritten else "lib/: up to date")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force", "--log-level=WARN"],
                   cwd=ROOT, check=True)
    print(f"{release().relative_to(ROOT)}: regenerated")


if __name__ == "__main__":
    main()
