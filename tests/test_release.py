"""release/ is exactly what nbgrader generates today, hides every solution and hidden test, and is
a working student kit: its own `pytest` fails on the untouched release and passes once solved, its
README.md describes it, and nothing in it points at the instructor's files."""
import re
import shutil
import subprocess
import sys

import nbformat

import course
from course import ASSIGNMENT, RELEASE, REPO, SOURCE
from tools import layout


def files_under(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def test_release_is_exactly_what_nbgrader_generates(tmp_path):
    root = course.copy_course(tmp_path / "course")
    course.nbgrader(root, "generate_assignment", ASSIGNMENT)
    fresh, committed = files_under(layout.release(root)), files_under(RELEASE)
    assert sorted(fresh) == sorted(committed), "release/ has different files: run `uv run python tools/build.py`"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"release/ is out of date in {stale}: run `uv run python tools/build.py`"


def secret_lines():
    """Lines inside solution or hidden-test regions of the source notebooks that occur nowhere else in them."""
    return course.region_lines(layout.SOLUTION_REGION, layout.HIDDEN_REGION, min_length=8)


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
        stubs = [cell.source for cell in nb.cells if layout.cell_kind(cell) == "student"]
        assert stubs and all("raise NotImplementedError()" in s and "# YOUR CODE HERE" in s for s in stubs), path.name


def run_kit_pytest(kit):
    return subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=kit, capture_output=True,
                          text=True, env=course.quiet_env(kit.parent / "home"))


def test_student_kit_pytest_uses_the_students_own_saved_code(tmp_path):
    kit = tmp_path / ASSIGNMENT
    shutil.copytree(RELEASE, kit)
    untouched = run_kit_pytest(kit)
    assert untouched.returncode == 1 and "NotImplementedError" in untouched.stdout, untouched.stdout[-2000:]
    for path in layout.notebooks():  # the student fills in every cell and saves
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
        f"{link.relative_to(REPO)} must be a link to ../../lib (nbgrader does not copy linked folders, "
        "so the solutions in lib/ never reach the release)")


# What only the instructor's course has: a student kit that names them points at files the student cannot see.
INSTRUCTOR_ONLY = {
    "the course's tools/": r"(?<![\w.-])tools/",
    "the shared folder": r"\.\./shared",
    # (a student's own ~/.jupyter/nbgrader_config.py is theirs: it tells nbgrader where the exchange is)
    "nbgrader's course configuration": r"(?<![\w./-])nbgrader_config\.py",
    "the gradebook": r"(?<![\w.-])gradebook\.db",
    "the grading script": r"(?<![\w.-])grade\.py",
    "the source notebooks": rf"(?<![\w.-]){layout.SOURCE_FOLDER}/{ASSIGNMENT}",
    "the course's environment files": r"(?<![\w.-])(pyproject\.toml|uv\.lock)",
    "the lab brief": r"\blab\s+brief",
}


def instructor_mentions(text):
    """(line number, what, line) for each mention of an instructor-only thing in text."""
    found = []
    for what, pattern in INSTRUCTOR_ONLY.items():
        for match in re.finditer(pattern, text, re.I):
            number = text.count("\n", 0, match.start()) + 1
            found.append((number, what, text.splitlines()[number - 1].strip()[:120]))
    return found


def test_instructor_only_patterns_find_paths_and_not_plain_words():
    flagged = ["see tools/grade.py", "from ../shared/notes", "in nbgrader_config.py", "the gradebook.db file",
               "run grade.py", "notebooks/lab03_training_loop/01_adamw.ipynb", "uv.lock", "as the lab\nbrief says"]
    for text in flagged:
        assert instructor_mentions(text), text
    for text in ["a brief period of confusion", "webtools/demoroniser/", "your ~/.jupyter/nbgrader_config.py",
                 "the shared state", "autograde.py",
                 "pip install -r requirements.txt", "hidden tests run at grading"]:
        assert not instructor_mentions(text), text


def release_texts():
    """(where, text) for every text of the release: each notebook cell's source, every other text file."""
    for path in sorted(RELEASE.rglob("*")):
        name = path.relative_to(REPO).as_posix()
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        if path.suffix == ".ipynb":
            for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
                yield f"{name} cell {index} ({cell.cell_type})", cell.source
        else:
            try:
                yield name, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # not text


def test_release_mentions_nothing_only_the_instructor_has():
    mentions = [f"{where} line {number}: {what}: {line}"
                for where, text in release_texts() for number, what, line in instructor_mentions(text)]
    assert not mentions, "the student kit points at files the student does not have:\n" + "\n".join(mentions)


def test_kit_readme_names_everything_in_the_kit_and_how_to_check_and_submit():
    readme = (RELEASE / "README.md").read_text()
    for path in sorted(RELEASE.iterdir()):
        if path.name != "README.md" and "__pycache__" not in path.name:
            named = f"`{path.name}/`" if path.is_dir() else f"`{path.name}`"
            assert named in readme, f"the kit's README.md does not describe {named}"
    for command in ("pip install -r requirements.txt", "`pytest`", "python -m lib.export",
                    "nbgrader validate 01_adamw.ipynb", f"nbgrader submit {ASSIGNMENT}", "NotImplementedError"):
        assert command in readme, f"the kit's README.md does not say `{command}`"
    assert (RELEASE / "lib" / "export.py").is_file() and (RELEASE / "pytest.ini").is_file()
