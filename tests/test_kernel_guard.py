"""The in-kernel guard (tools/kernel_guard.py) and GuardedExecute's output cap (tools/grading.py), on small
notebooks run by GuardedExecute alone in a real kernel: no nbgrader class run, a few seconds each.

A student cell monkeypatches the kernel, tampers with the guard or rewrites provided modules; the test
cell after it must see the pristine kernel and the instructor's modules, or be refused (GuardTampered).
"""
import os
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tools import kernel_guard
from tools.grading import GuardedExecute, HideHiddenTests, remove_text

KINDS = {"provided": {"grade": False, "solution": False, "locked": True},
         "student": {"grade": False, "solution": True, "locked": False},
         "test": {"grade": True, "solution": False, "locked": True, "points": 1}}

# Provided cell: what the kernel looks like before any student code.
RECORD = """
import sys, builtins, numpy
import numpy as np
_pristine = dict(path=list(sys.path), meta_path=list(sys.meta_path), path_hooks=list(sys.path_hooks),
                 cache=dict(sys.path_importer_cache), prefix=sys.pycache_prefix, trace=sys.gettrace(),
                 abs=builtins.abs, sum=numpy.sum, np=np)
"""
MONKEYPATCH = """
import sys, builtins, numpy, importlib.abc
builtins.abs = lambda number: 0
numpy.sum = lambda *args, **kwargs: 42
np = None
sys.path.insert(0, "/student")
sys.path_hooks.append(lambda path: None)
sys.path_importer_cache["/student"] = None
sys.pycache_prefix = "/tmp/forged"
class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, *args):
        return None
sys.meta_path.insert(0, _Finder())
sys.settrace(lambda *args: None)
"""
CHECK_PRISTINE = """
import sys, builtins, numpy
assert sys.path == _pristine["path"] and sys.meta_path == _pristine["meta_path"], sys.path
assert sys.path_hooks == _pristine["path_hooks"] and sys.path_importer_cache == _pristine["cache"]
assert sys.pycache_prefix == _pristine["prefix"] and sys.gettrace() is _pristine["trace"]
assert builtins.abs is _pristine["abs"] and numpy.sum is _pristine["sum"] and np is _pristine["np"]
print("pristine")
"""


def notebook(*cells):
    """A notebook of (kind, source) cells, kinds as nbgrader marks them."""
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    for i, (kind, source) in enumerate(cells):
        nb.cells.append(new_code_cell(source, metadata={"nbgrader": {**KINDS[kind], "grade_id": f"cell{i}",
                                                                     "schema_version": 3}}))
    return nb


def run(folder, *cells, **options):
    """Run the cells with GuardedExecute in folder; the outputs of each cell, as text."""
    nb, _ = GuardedExecute(timeout=20, **options).preprocess(notebook(*cells), {"metadata": {"path": str(folder)}})
    return [text_of(cell.outputs) for cell in nb.cells]


def text_of(outputs):
    return "".join(out.get("text", "") if out.output_type == "stream" else
                   f"{out.get('ename')}: {out.get('evalue')}\n" if out.output_type == "error" else
                   str(out.get("data", "")) for out in outputs)


def test_restore_undoes_monkeypatching_of_numpy_builtins_and_the_import_system(tmp_path):
    outputs = run(tmp_path, ("provided", RECORD), ("student", MONKEYPATCH), ("test", CHECK_PRISTINE))
    assert outputs == ["", "", "pristine\n"], outputs  # in the same kernel: nothing died or hung


def test_restore_removes_callbacks_that_would_patch_again_before_the_test(tmp_path):
    patch_before_every_cell = ("import builtins\nget_ipython().events.register('pre_run_cell', "
                               "lambda *args: setattr(builtins, 'abs', lambda number: 0))")
    outputs = run(tmp_path, ("provided", RECORD), ("student", patch_before_every_cell), ("test", CHECK_PRISTINE))
    assert outputs == ["", "", "pristine\n"], outputs


@pytest.mark.parametrize("tamper", [
    "import sys; del sys.modules['_grading_guard']",
    "import sys; sys.modules['_grading_guard'].restore = lambda challenge: None",
    "import sys; sys.modules['_grading_guard'].restore = lambda challenge: 'f' * 64",
    "get_ipython().user_expressions = lambda expressions: {}",
])
def test_a_disabled_guard_is_detected_and_the_test_not_run(tmp_path, tamper):
    outputs = run(tmp_path, ("student", tamper), ("test", "print('ran')"), ("test", "print('ran again')"))
    for text in outputs[1:]:
        assert "GuardTampered: the grading guard was disabled" in text and "ran" not in text, outputs


def test_an_honest_notebook_is_not_taken_for_tampering(tmp_path):
    outputs = run(tmp_path, ("provided", "import numpy as np"), ("student", "def f(x):\n    return 2 * x"),
                  ("test", "assert f(2) == 4\nprint('passed')"), ("student", "1 / 0"), ("test", "print(f(3))"),
                  ("student", "exit()"), ("test", "print(f(4))"))  # the kernel ends after exit()'s cell
    assert outputs[2] == "passed\n" and outputs[4] == "6\n" and outputs[6] == "8\n", outputs


def provided_folder(tmp_path):
    """The instructor's modules, read-only, and the submission's own copies next to the notebook."""
    provided, here = tmp_path / "provided", tmp_path / "submission"
    for folder, who in ((provided, "instructor"), (here, "student")):
        (folder / "lib").mkdir(parents=True)
        (folder / "checks.py").write_text(f"WHO = {who!r}\n")
        (folder / "doubles.py").write_text(f"WHO = {who!r}\n")
        (folder / "lib" / "__init__.py").write_text(f"WHO = {who!r}\n")
        (folder / "lib" / "helper.py").write_text(f"WHO = {who!r}\nimport pathlib\nHERE = pathlib.Path(__file__)\n")
    # the student's module generated from a notebook: the grader does not put it in the provided folder
    (here / "lib" / "generated.py").write_text("# AUTOGENERATED from a notebook\nWHO = 'student'\n")
    return provided, here


REWRITE_PROVIDED = """
import os, sys, types, lib.helper
os.environ["GRADING_PROVIDED"] = os.getcwd()  # too late: the guard read it at install
for name in ("checks.py", "doubles.py", "lib/helper.py"):
    with open(name, "w") as file:
        file.write("WHO = 'forged'\\n")
os.makedirs("checks", exist_ok=True)  # a package is found before a module of the same name
with open("checks/__init__.py", "w") as file:
    file.write("WHO = 'package'\\n")
lib.helper.WHO = "patched"
lib.WHO = "patched"
sys.modules["doubles"] = types.SimpleNamespace(WHO="fake")
"""
CHECK_PROVIDED = """
import checks, doubles, lib, lib.helper, lib.generated, sys
print(checks.WHO, doubles.WHO, lib.WHO, lib.helper.WHO, lib.generated.WHO, lib.helper.HERE.parent.name)
print(sys.modules["lib.helper"] is lib.helper is sys.modules["lib"].helper)
"""


def test_provided_modules_are_the_instructors_whatever_the_submission_does(tmp_path, monkeypatch):
    provided, here = provided_folder(tmp_path)
    monkeypatch.setenv(kernel_guard.PROVIDED_VARIABLE, str(provided))
    outputs = run(here, ("provided", "import lib.helper"), ("student", REWRITE_PROVIDED), ("test", CHECK_PROVIDED))
    # lib.generated is the student's own (generated from a notebook); lib.helper's __file__ is the submission's copy
    assert outputs[2] == "instructor instructor instructor instructor student lib\nTrue\n", outputs


def test_a_lib_helper_imported_first_in_a_test_is_the_instructors(tmp_path, monkeypatch):
    provided, here = provided_folder(tmp_path)
    monkeypatch.setenv(kernel_guard.PROVIDED_VARIABLE, str(provided))
    rewrite = "import os\nos.makedirs('lib/helper')\nopen('lib/helper/__init__.py', 'w').write('WHO = 1')"
    outputs = run(here, ("student", rewrite), ("test", "from lib import helper\nprint(helper.WHO)"))
    assert outputs[1] == "instructor\n", outputs


def test_without_provided_folder_checks_are_imported_again_from_the_notebook_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(kernel_guard.PROVIDED_VARIABLE, raising=False)
    (tmp_path / "checks.py").write_text("WHO = 'course'\n")
    fake = "import sys, types\nimport checks\nsys.modules['checks'] = types.SimpleNamespace(WHO='fake')"
    outputs = run(tmp_path, ("student", fake), ("test", "import checks\nprint(checks.WHO)"))
    assert outputs[1] == "course\n", outputs


def test_a_dead_kernel_is_replaced_with_its_guard_and_the_earlier_cells(tmp_path):
    outputs = run(tmp_path, ("provided", "x = 1"), ("student", "import os\nos._exit(1)"),
                  ("student", MONKEYPATCH), ("test", "print(x)"))
    assert "KernelDied" in outputs[1] and outputs[3] == "1\n", outputs


def test_a_kernel_that_dies_as_the_guard_restores_it_is_reported_dead(tmp_path):
    dies_next = "import os\nget_ipython().kernel.do_execute = lambda *args, **kwargs: os._exit(1)"
    outputs = run(tmp_path, ("student", dies_next), ("test", "print('ran')"))
    assert "KernelDied" in outputs[1] and "GuardTampered" not in outputs[1], outputs


def test_a_capped_cell_keeps_its_first_bytes_and_says_how_many_were_cut(tmp_path):
    big = "print('a' * 3000, end='')\nprint('b' * 3000)\nprint('c' * 5000)"
    outputs = run(tmp_path, ("student", big), ("test", big), max_output_bytes=4000)
    marker = 24 + 1  # the test's end marker, in the cut part: the test still counts as finished
    for text, cut in zip(outputs, (7002, 7002 + marker), strict=True):
        assert text == "a" * 3000 + "b" * 1000 + f"\n[{cut:,} bytes of output cut by the grader, which keeps the " \
            "first 4,000 bytes of a cell]\n", text[3990:]


def test_a_capped_cell_keeps_its_error(tmp_path):
    outputs = run(tmp_path, ("test", "print('x' * 5000)\n1 / 0"), max_output_bytes=100)
    assert re.fullmatch(r"x{100}ZeroDivisionError: division by zero\n\n\[4,901 bytes .*\]\n", outputs[0]), outputs


def test_capped_stderr_keeps_whole_lines(tmp_path):
    line = "RuntimeWarning: " + "y" * 24 + "\n"  # 41 bytes: a partial line would escape nbgrader's IgnorePattern
    outputs = run(tmp_path, ("student", f"import sys\n_ = sys.stderr.write({line * 5!r})"), max_output_bytes=100)
    assert outputs[0].startswith(line * 2 + "\n[123 bytes of output cut"), outputs


def test_a_test_that_does_not_reach_its_end_fails(tmp_path):
    outputs = run(tmp_path, ("student", "import os, sys\nsys.stdout = open(os.devnull, 'w')"), ("test", "pass"))
    assert outputs[1] == "TestIncomplete: this test did not run to its end\n", outputs


def stream(text):
    return nbformat.NotebookNode(output_type="stream", name="stdout", text=text)


def test_the_end_marker_is_removed_even_when_it_spans_outputs():
    outs = [stream("result\nmar"), stream("ker\n"), stream("tail")]
    assert remove_text(outs, "marker\n") and [out.text for out in outs] == ["result\n", "", "tail"]
    assert not remove_text(outs, "marker\n")


def test_feedback_hides_hidden_tests_and_their_tracebacks():
    cell = notebook(("test", "visible()\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS")).cells[0]
    cell.outputs = [nbformat.NotebookNode(output_type="error", ename="AssertionError", evalue="wrong",
                                          traceback=["secret()", "AssertionError: wrong"])]
    cell, _ = HideHiddenTests().preprocess_cell(cell, {}, 0)
    assert cell.source == "visible()" and cell.outputs[0].traceback == ["AssertionError: wrong"]


def test_the_guards_answer_is_keyed_by_its_secret():
    assert kernel_guard.answer("a", "challenge") != kernel_guard.answer("b", "challenge")
    assert kernel_guard.answer("a", "challenge") == kernel_guard.answer("a", "challenge")
    compile(kernel_guard.install_code("secret"), "install", "exec")
    assert os.path.basename(kernel_guard.__file__) == "kernel_guard.py"


def test_a_kernel_that_fails_to_start_is_replaced_before_any_cell_runs(tmp_path, monkeypatch):
    """Two graders starting kernels at once can race for a free port ("Address already in use"): the kernel
    dies before it answers. GuardedExecute starts another, since no cell has run yet."""
    from nbclient import NotebookClient
    real, failures = NotebookClient.start_new_kernel_client, []

    def fails_once(self):
        if not failures:
            failures.append(self.km.kernel_id)
            self._cleanup_kernel()  # as nbclient does when the kernel dies before replying to kernel_info
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(self)

    monkeypatch.setattr(NotebookClient, "start_new_kernel_client", fails_once)
    outputs = run(tmp_path, ("provided", "x = 2"), ("test", "print(x * 21)"))
    assert failures and outputs == ["", "42\n"], outputs
