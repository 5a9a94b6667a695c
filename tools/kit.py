"""Give a generated release its own lib/: the student kit (run by nbgrader as a post_convert_hook).

nbgrader copies every file of the source assignment into release/, but not lib/: in the source
folder lib is a link to the course's lib/, which holds the solutions, and nbgrader does not
follow links to folders. This hook writes release/<assignment>/lib/ instead:
  - the provided helpers and data, copied from the course's lib/ (every file no notebook exports);
  - the exported modules, exported from the *release* notebooks, i.e. stubs that raise
    NotImplementedError until the student writes them.
"""
import shutil
import sys
import traceback
from pathlib import Path

from tools import layout

COURSE_LIB = layout.ROOT / "lib"


def exported_modules(notebook_dir):
    """Names of the lib modules that the notebooks in notebook_dir export."""
    from lib.export import notebook_module  # imported here: grading sandboxes have no lib/ to import

    found = (notebook_module(path) for path in sorted(Path(notebook_dir).glob("*.ipynb")))
    return {exported[0] for exported in found if exported}


def build_student_lib(release_dir, course_lib=COURSE_LIB):
    """Write release_dir/lib: provided helpers plus stubs exported from release_dir's notebooks."""
    from lib.export import export_assignment

    release_dir = Path(release_dir)
    target = release_dir / "lib"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    generated = {f"{module}.py" for module in exported_modules(release_dir)}
    for path in sorted(Path(course_lib).rglob("*")):
        relative = path.relative_to(course_lib)
        if path.is_file() and "__pycache__" not in relative.parts and relative.as_posix() not in generated:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)
    export_assignment(release_dir, target)


def post_convert_hook(course_root):
    """nbgrader's hook(assignment=..., student=..., notebooks=...) for the course at course_root."""
    def hook(assignment, **_):
        try:
            build_student_lib(layout.release(course_root, assignment))
        except Exception:
            # nbgrader logs hook failures at INFO level only: make this one impossible to miss.
            print(f"ERROR: could not build {layout.RELEASE_FOLDER}/{assignment}/lib:\n{traceback.format_exc()}", file=sys.stderr)
            raise
    return hook
