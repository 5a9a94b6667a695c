"""release/ is exactly what nbgrader generates today, hides every solution and hidden test, and is
a working student kit: its own `pytest` fails on the untouched release and passes once solved."""
import shutil
import subprocess
import sys

import nbformat

import course
from course import ASSIGNMENT, REPO, SOURCE

RELEASE = REPO / "release" / ASSIGNMENT
def files_under(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def test_release_is_exactly_what_nbgrader_generates(tmp_path):
    root = course.copy_course(tmp_path / "course")
    course.nbgrader(root, "generate_assignment", ASSIGNMENT)
    fresh, committed = files_under(root / "release" / ASSIGNMENT), files_under(RELEASE)
    assert sorted(fresh) == sorted(committed), "release/ has different files: run `uv run python tools/build.py`"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"release/ is out of date in {stale}: run `uv run python tools/build.py`"


def secret_lines():
    """Lines inside solution or hidden-test regions of the source notebooks that occur nowhere else in them."""
    return course.region_lines({**course.SOLUTION_REGION, **course.HIDDEN_REGION}, min_length=8)


def test_secret_lines_are_found():
    lines = secret_lines()
    assert "self.t += 1" in lines and len(lines) > 50, "the leak check would not see the solutions"


def test_release_contains_no_solution_or_hidden_test_line():
    secrets = secret_lines()
    for name, data in files_under(RELEASE).items():
        shown = {line.strip() for line in data.decode("utf-8").splitlines()}
        leaked = sorted(shown & secrets)
        assert not leaked, f"release/{ASSIGNMENT}/{name} shows solution or hidden-test lines: {leaked[:5]}"


def test_release_notebooks_have_no_outputs_and_stub_cells():
    for path in RELEASE.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert not any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), path.name
        stubs = [cell.source for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("solution")]
        assert stubs and all("raise NotImplementedError()" in s and "# YOUR CODE HERE" in s for s in stubs), path.name


def run_kit_pytest(kit):
    return subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=kit, capture_output=True,
                          text=True, env=course.quiet_env(kit.parent / "home"))


def test_student_kit_pytest_uses_the_students_own_saved_code(tmp_path):
    kit = tmp_path / ASSIGNMENT
    shutil.copytree(RELEASE, kit)
    untouched = run_kit_pytest(kit)
    assert untouched.returncode == 1 and "NotImplementedError" in untouched.stdout, untouched.stdout[-2000:]
    for path in SOURCE.glob("*.ipynb"):  # the student fills in every cell and saves
        answers = course.solution_sources(path)
        nb = nbformat.read(kit / path.name, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            cell.source = answers.get(grade_id, cell.source)
        nbformat.write(nb, kit / path.name)
    solved = run_kit_pytest(kit)
    assert solved.returncode == 0, solved.stdout[-3000:]
    assert " passed" in solved.stdout and "failed" not in solved.stdout
    assert "raise NotImplementedError" not in (kit / "lib" / "adamw.py").read_text(), "the kit did not re-export lib/"


def test_source_assignment_links_to_the_course_lib():
    link = SOURCE / "lib"
    assert link.is_symlink() and link.resolve() == (REPO / "lib").resolve(), (
        "notebooks/lab03_training_loop/lib must be a link to ../../lib (nbgrader does not copy linked folders, "
        "so the solutions in lib/ never reach the release)")
