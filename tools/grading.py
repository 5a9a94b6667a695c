"""Grading that survives hostile and broken submissions: nbgrader preprocessors of this course.

GuardedExecute replaces nbgrader's Execute in `nbgrader autograde` (nbgrader_config.py sets it):
  - Demonstration cells exactly as the instructor wrote them are not run: grading needs only the
    provided cells (set-up, imports), the student's cells and the tests. A cell a student changed
    or added does run.
  - Before every test cell it undoes what student code may have monkeypatched (numpy, math,
    builtins, the IPython shell and kernel classes) and re-imports the course's checks, so the
    checks a test uses are the instructor's.
  - Every test cell is run with a random marker printed on its last line: a test that did not
    run to its end scores zero, even if its error was hidden from the output.
  - When the kernel dies (os._exit, a segfault, memory exhaustion) or stops answering (a loop that
    ignores interrupts), it starts a new kernel, re-runs the provided and student cells run so
    far, and goes on: only the tests that depend on the failure lose points. nbgrader alone would
    drop the whole submission.
  - It keeps at most max_output_bytes of output per cell.

HideHiddenTests runs in `nbgrader generate_feedback`: the hidden tests' code is removed, and a
failing test shows its message, not a traceback that would quote the hidden code.
"""
import json
import secrets

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat import NotebookNode, read
from traitlets import Integer, Unicode

from nbgrader.preprocessors import ClearHiddenTests, Execute, NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

# Runs in the kernel before any student code: keeps the pristine state, and a restore() that brings it back.
GUARD = r'''
def _install_grading_guard():
    import builtins, math, operator, sys, types
    import numpy, numpy.linalg, numpy.random, numpy.testing
    from IPython import get_ipython
    from IPython.core.interactiveshell import ExecutionResult
    shell = get_ipython()
    objects = [shell] + ([shell.kernel] if getattr(shell, "kernel", None) is not None else [])
    classes = {cls for obj in objects for cls in type(obj).__mro__ if cls is not object} | {ExecutionResult}
    modules = {name: module for name, module in sys.modules.items()
               if name in ("builtins", "math", "operator") or name == "numpy" or name.startswith("numpy.")}
    saved_modules = {name: dict(vars(module)) for name, module in modules.items()}
    saved_classes = {cls: dict(vars(cls)) for cls in classes}
    saved_instances = [(obj, set(vars(obj))) for obj in objects]
    main = sys.modules["__main__"]

    def restore():
        for name, module in modules.items():
            sys.modules[name] = module
            vars(module).update(saved_modules[name])
        for cls, contents in saved_classes.items():
            for key, value in contents.items():
                if vars(cls).get(key) is not value:
                    try:
                        setattr(cls, key, value)
                    except (AttributeError, TypeError):
                        pass
        for obj, names in saved_instances:  # methods replaced on the shell or kernel object itself
            for name in set(vars(obj)) - names:
                if callable(getattr(type(obj), name, None)):
                    delattr(obj, name)
        for name in ("checks", "doubles"):  # re-imported from the instructor's files at next use
            sys.modules.pop(name, None)
        main.np, main.math = modules["numpy"], modules["math"]

    guard = types.ModuleType("_grading_guard")
    guard.restore = restore
    sys.modules["_grading_guard"] = guard

_install_grading_guard()
del _install_grading_guard
'''
RESTORE = "__import__('sys').modules['_grading_guard'].restore()"


def cell_kind(cell):
    """'test', 'student', 'provided' (instructor cells with nbgrader metadata) or 'other'."""
    if is_grade(cell) and not is_solution(cell):
        return "test"
    if is_solution(cell):
        return "student"
    return "provided" if "nbgrader" in cell.metadata else "other"


def error_output(ename, evalue):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class GuardedExecute(Execute):
    """nbgrader's Execute, made safe against submissions that hang, crash or cheat (see the module)."""

    source_root = Unicode("", help="Folder of the source assignments, to recognise unchanged demonstration cells; "
                                   "empty: every cell runs.").tag(config=True)
    max_output_bytes = Integer(200_000, help="Output kept per cell; the rest is dropped with a note.").tag(config=True)
    check_timeout = Integer(5, help="Seconds a kernel may take to answer after an interrupt before it is replaced."
                            ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._demonstrations = self._demonstration_sources(resources)
        self._replay, self._guarded = [], False
        return super().preprocess(nb, resources, km)

    def _demonstration_sources(self, resources):
        info = (resources or {}).get("nbgrader", {})
        if not (self.source_root and info.get("assignment") and info.get("notebook")):
            return set()
        try:
            source = read(f"{self.source_root}/{info['assignment']}/{info['notebook']}.ipynb", as_version=4)
        except (OSError, ValueError):
            return set()
        return {cell.source for cell in source.cells if cell.cell_type == "code" and cell_kind(cell) == "other"}

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or (cell_kind(cell) == "other" and cell.source in self._demonstrations):
            return cell, resources
        test = cell_kind(cell) == "test"
        for attempt in (1, 2):
            if not self._guarded:
                self._guarded = self._run_quietly(GUARD)
            if not self._execute(cell, resources, index, test):
                break
            self._restart()
            if attempt == 1 and not cell.outputs:
                continue  # the kernel may have died before this cell began (after exit() in the last one): run it again
            cell.outputs.append(error_output("KernelDied", "the kernel died while running this cell; the grader "
                                             "started a new one and re-ran the earlier cells"))
            break
        if any(out.get("ename") == "CellTimeoutError" for out in cell.outputs) and not self._responsive():
            self._restart()
        if test:
            self._expect_marker(cell, self._marker)
        elif not any(out.output_type == "error" and out.ename == "KernelDied" for out in cell.outputs):
            self._replay.append(cell.source)
        return cell, resources

    def _execute(self, cell, resources, index, test):
        """Run one cell (a test with the guard restored first and its end marker added); True if the kernel died."""
        source, self._marker = cell.source, secrets.token_hex(12)
        if test:
            self._run_quietly(RESTORE)
            cell.source = f"{source}\nprint('{self._marker}')"
        cell.outputs, self._output_bytes, self._output_capped, self._stream_tail = [], 0, False, ""
        try:
            super().preprocess_cell(cell, resources, index)
            return False
        except DeadKernelError:
            return True
        except CellTimeoutError:  # interrupted, and still busy: the kernel ignores interrupts
            cell.outputs.append(error_output("CellTimeoutError", f"the cell ran longer than {self.timeout} s and did not "
                                             "stop when interrupted; the grader started a new kernel"))
            return False
        finally:
            cell.source = source

    def _expect_marker(self, cell, marker):
        """Remove the marker from the output; if it is missing, the test did not finish: make it fail."""
        found = False
        for out in cell.outputs:
            if out.output_type == "stream" and marker in out.text:
                out.text, found = out.text.replace(f"{marker}\n", "").replace(marker, ""), True
        cell.outputs = [out for out in cell.outputs if not (out.output_type == "stream" and out.text == "")]
        if not found and not any(out.output_type == "error" for out in cell.outputs):
            cell.outputs.append(error_output("TestIncomplete", "this test did not run to its end"))

    def output(self, outs, msg, display_id, cell_index):
        """Keep at most max_output_bytes of one cell's output (a print loop must not exhaust memory)."""
        size = len(json.dumps(msg.get("content", {}), default=str))
        self._output_bytes = getattr(self, "_output_bytes", 0) + size
        # The end marker may straddle two stream messages: look for it in the last message's tail plus this one.
        text = msg["content"].get("text", "") if msg["msg_type"] == "stream" else ""
        seen = getattr(self, "_stream_tail", "") + text
        if text:
            self._stream_tail = seen[-len(self._marker):]
        if self._output_bytes <= self.max_output_bytes or msg["msg_type"] == "error":
            return super().output(outs, msg, display_id, cell_index)
        if not getattr(self, "_output_capped", False):
            self._output_capped = True
            outs.append(NotebookNode(output_type="stream", name="stdout",
                                     text=f"\n[output beyond {self.max_output_bytes:,} bytes dropped by the grader]\n"))
        if self._marker in seen:
            outs.append(NotebookNode(output_type="stream", name="stdout", text=f"{self._marker}\n"))  # the test did finish
        return None

    def _run_quietly(self, code, timeout=None):
        """Run code without recording output; True if it finished without error within the timeout."""
        saved, self.timeout = self.timeout, timeout or self.timeout
        try:
            msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
            reply = self.wait_for_reply(msg_id)
            return bool(reply) and reply["content"]["status"] == "ok"
        except DeadKernelError:
            return False
        finally:
            self.timeout = saved

    def _responsive(self):
        return self._run_quietly("pass", timeout=self.check_timeout)

    def _restart(self):
        """A new kernel, with the guard and the provided and student cells run so far; a cell that
        kills or hangs the new kernel too is left out."""
        self._new_kernel()
        for source in list(self._replay):
            if not self._run_quietly(source) and not self._responsive():
                self._replay.remove(source)
                self._new_kernel()

    def _new_kernel(self):
        run_sync(self._async_restart)()
        self._guarded = self._run_quietly(GUARD)

    async def _async_restart(self):
        self.kc.stop_channels()
        await ensure_async(self.km.shutdown_kernel(now=True, restart=True))  # keeps the connection machinery
        self.km.cleanup_connection_file()
        for port in ("shell_port", "iopub_port", "stdin_port", "hb_port", "control_port"):
            setattr(self.km, port, 0)  # fresh ports: the old kernel's may not be free yet
        await ensure_async(self.km.start_kernel(**self.km._launch_args))
        self.kc = self.km.client()
        await ensure_async(self.kc.start_channels())
        await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback without the hidden tests' code: hidden regions removed, failing tests shown by their message."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            ClearHiddenTests()._remove_hidden_test_region(cell)
            for out in cell.outputs:
                if out.output_type == "error":
                    out.traceback = [f"{out.ename}: {out.evalue}"]
        return cell, resources
