"""tools/handin.py's command hands in the reference or the untouched release as a student, in the course it
belongs to, where tools/grade.py finds it."""
import json
import subprocess
import sys

import course
from tools import layout


def test_handin_command_hands_in_the_reference_or_the_release(tmp_path):
    root = course.copy_course(tmp_path / "course")
    run = lambda *args: subprocess.run([sys.executable, "tools/handin.py", *args], cwd=root,  # noqa: E731
                                       capture_output=True, text=True, env=course.quiet_env(tmp_path / "home"))
    refused = run("ada")
    assert refused.returncode != 0 and "tools/build.py" in refused.stderr, "no release yet: the command must say how to make one"
    course.nbgrader(root, "generate_assignment", layout.ASSIGNMENT)
    for student, options in (("ada", []), ("bob", ["--blank"])):
        done = run(student, *options)
        assert done.returncode == 0, done.stderr
        assert f"tools/grade.py {layout.ASSIGNMENT} --student {student}" in done.stdout
    again = run("ada")
    assert again.returncode != 0 and "--force" in again.stderr, "an existing submission must not be overwritten silently"
    assert run("ada", "--force").returncode == 0

    reference = course.reference_answers()
    for student, solved in (("ada", True), ("bob", False)):
        folder = root / layout.SUBMITTED_FOLDER / student / layout.ASSIGNMENT
        assert sorted(p.name for p in folder.glob("*.ipynb")) == [p.name for p in layout.notebooks()]
        cells = {cell["metadata"]["nbgrader"]["grade_id"]: "".join(cell["source"])
                 for cell in json.loads((folder / "01_adamw.ipynb").read_text())["cells"] if layout.cell_kind(cell) == "student"}
        assert (cells["adamw"] == reference["01_adamw"]["adamw"]) is solved
        exported = (folder / "lib" / "adamw.py").read_text()
        assert exported.startswith(layout.GENERATED_HEADER) and ("raise NotImplementedError" in exported) is not solved
