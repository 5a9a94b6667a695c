"""Grading that survives hostile and broken submissions: nbgrader preprocessors of this course.

GuardedExecute replaces nbgrader's Execute in `nbgrader autograde` (nbgrader_config.py sets it):
  - Demonstration cells exactly as the instructor wrote them are not run: grading needs only the
    provided cells (set-up, imports), the student's cells and the tests. A cell a student changed
    or added does run.
  - Before any student code it installs the in-kernel guard (tools/kernel_guard.py); before every
    test cell the guard undoes what student code may have monkeypatched (numpy, math, builtins, the
    IPython shell and kernel classes, the import system) and loads the instructor's provided modules
    (checks, doubles, lib helpers), and must prove it ran: a test whose guard does not answer its
    challenge is not run, and scores zero (GuardTampered).
  - Every test cell is run with a random marker printed on its last line: a test that did not
    run to its end scores zero, even if its error was hidden from the output.
  - When the kernel dies (os._exit, a segfault, memory exhaustion) or stops answering (a loop that
    ignores interrupts), it starts a new kernel, re-runs the provided and student cells run so
    far, and goes on: only the tests that depend on the failure lose points. nbgrader alone would
    drop the whole submission.
  - It keeps the first max_output_bytes of output per cell, and says how many bytes it cut.

SandboxOnlyExporter is Autograde's exporter (nbgrader_config.py): an autograde started through nbgrader's
API (the formgrader's Autograde button) is refused before nbgrader touches anything, because its kernels
would run student code with the instructor's rights; tools/grade.py grades in the bubblewrap sandbox.
Plain `nbgrader autograde` is refused too, unless it runs in that sandbox (tools/sandbox.py) or is told
the notebooks are trusted (`--SandboxOnlyExporter.unconfined=True`, the course's own tests); then
GuardedExecute warns in its log that its kernel is not the sandbox's.

HideHiddenTests runs in `nbgrader generate_feedback`: the hidden tests' code is removed, and a
failing test shows its message, not a traceback that would quote the hidden code.
"""
import json
import secrets
import textwrap

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbconvert.exporters import NotebookExporter
from nbformat import NotebookNode, read
from traitlets import Bool, Integer, Unicode

from nbgrader.converters.base import NbGraderException
from nbgrader.preprocessors import ClearHiddenTests, Execute

from tools import kernel_guard
from tools.layout import cell_kind
from tools.sandbox import KERNEL as SANDBOX_KERNEL


def error_output(ename, evalue):
    """An error output, which gives a test cell zero points."""
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class GuardedExecute(Execute):
    """nbgrader's Execute, made safe against submissions that hang, crash or cheat (see the module)."""

    source_root = Unicode("", help="Folder of the source assignments, to recognise unchanged demonstration cells; "
                                   "empty: every cell runs.").tag(config=True)
    max_output_bytes = Integer(200_000, help="Output kept per cell: its first bytes, then a note of how many "
                                             "were cut.").tag(config=True)
    check_timeout = Integer(5, help="Seconds a kernel may take to answer after an interrupt before it is replaced."
                            ).tag(config=True)

    start_attempts = Integer(3, help="Kernels started for a notebook before its grading fails, if none could run a "
                                     "cell: two graders that start kernels at once can race for a free port.").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        """Run a notebook in a new kernel, the guard installed before its first cell."""
        if self.kernel_name != SANDBOX_KERNEL:  # plain `nbgrader autograde`: fine for trusted code only
            self.log.warning(unconfined_warning(resources))
        for attempt in range(1, self.start_attempts + 1):
            self._demonstrations = self._demonstration_sources(resources)
            self._replay, self._guard_pending, self._marker = [], True, ""
            try:
                return super().preprocess(nb, resources, km)
            except Exception as error:  # noqa: BLE001  (retried only while no cell has run: nothing to undo)
                if not self._guard_pending or attempt == self.start_attempts:
                    raise
                self.log.warning("the kernel did not start (%s); starting another (attempt %d)", error, attempt + 1)

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
        """Run one cell; a kernel that dies or hangs in it is replaced, and a test's end marker checked."""
        if cell.cell_type != "code" or (cell_kind(cell) == "other" and cell.source in self._demonstrations):
            return cell, resources
        if self._guard_pending:  # the kernel nbclient started: nothing has run in it yet
            self._install_guard()
        test = cell_kind(cell) == "test"
        for attempt in (1, 2):
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
            self._expect_marker(cell)
        elif not any(out.output_type == "error" and out.ename == "KernelDied" for out in cell.outputs):
            self._replay.append(cell.source)
        return cell, resources

    def _execute(self, cell, resources, index, test):
        """Run one cell (a test with the guard restored first and its end marker added); True if the kernel died."""
        source, self._marker = cell.source, secrets.token_hex(12)
        self._start_output()
        try:
            if test:
                tampered = self._restore_guard()
                if tampered:  # the test is not run: it scores zero
                    cell.outputs = [error_output("GuardTampered", tampered)]
                    return False
                cell.source = f"{source}\nprint('{self._marker}')"
            super().preprocess_cell(cell, resources, index)
            return False
        except DeadKernelError:
            return True
        except CellTimeoutError:  # interrupted, and still busy: the kernel ignores interrupts
            cell.outputs.append(error_output("CellTimeoutError", f"the cell ran longer than {self.timeout} s and did "
                                             "not stop when interrupted; the grader started a new kernel"))
            return False
        finally:
            cell.source = source
            self._end_output(cell.outputs)

    # --- the in-kernel guard (tools/kernel_guard.py) ---

    def _install_guard(self):
        """Install the guard in a kernel in which nothing has run yet; its secret is kept here and in the kernel."""
        self._guard_pending, secret = False, secrets.token_hex(32)
        reply = self._run_quietly(kernel_guard.install_code(secret))
        ok = bool(reply) and reply["content"]["status"] == "ok"
        self._secret = secret if ok else None
        self._guard_error = "" if ok else (reply or {}).get("content", {}).get("evalue", "no answer from the kernel")

    def _restore_guard(self):
        """Restore the kernel's state before a test; None if the guard proved it did, or why it did not."""
        if self._secret is None:
            return f"the grading guard could not be installed in the kernel ({self._guard_error}); the test was not run"
        challenge = secrets.token_hex(16)
        reply = self._request("", user_expressions={"guard": kernel_guard.restore_expression(challenge)})
        result = (reply or {}).get("content", {}).get("user_expressions", {}).get("guard", {})
        if result.get("data", {}).get("text/plain") == repr(kernel_guard.answer(self._secret, challenge)):
            return None
        failure = f" ({result['ename']}: {result.get('evalue', '')})" if result.get("status") == "error" else ""
        return ("the grading guard was disabled or changed by code in the notebook, and could not check this test"
                f"{failure}; the test was not run")

    # --- output: the first max_output_bytes of a cell, and the end marker wherever it is ---

    def _start_output(self):
        self._output_bytes, self._cut_bytes, self._marker_seen, self._stdout_tail = 0, 0, False, ""

    def _end_output(self, outs):
        if self._cut_bytes:
            outs.append(NotebookNode(output_type="stream", name="stdout", text=(
                f"\n[{self._cut_bytes:,} bytes of output cut by the grader, which keeps the first "
                f"{self.max_output_bytes:,} bytes of a cell]\n")))

    def output(self, outs, msg, display_id, cell_index):
        """Keep the first max_output_bytes of one cell's output (a print loop must not exhaust memory):
        the message that crosses the limit is cut (text) or dropped (anything else); errors are kept."""
        if msg["msg_type"] == "error":
            return super().output(outs, msg, display_id, cell_index)
        if msg["msg_type"] == "stream" and msg["content"].get("name") == "stdout":
            self._watch_marker(msg["content"].get("text", ""))
        msg = self._capped(msg)
        return super().output(outs, msg, display_id, cell_index) if msg else None

    def _capped(self, msg):
        """msg, or its part within the cap (None: nothing); counts the bytes kept and cut."""
        content, stream = msg["content"], msg["msg_type"] == "stream"
        data = utf8(content.get("text", "")) if stream else json.dumps(content, default=str).encode()
        room, kept = max(self.max_output_bytes - self._output_bytes, 0), len(data)
        if kept > room:
            text = data[:room].decode("utf-8", "ignore") if stream else ""  # not within a character
            if content.get("name") == "stderr":  # whole lines: half a warning would escape IgnorePattern
                text = text[:text.rfind("\n") + 1]
            msg = {**msg, "content": {**content, "text": text}} if text else None
            kept = len(utf8(text))
        self._output_bytes += kept
        self._cut_bytes += len(data) - kept
        return msg

    def _watch_marker(self, text):
        """Note the end marker in stdout, even if it straddles two messages or lies in the cut part."""
        seen = self._stdout_tail + text
        self._marker_seen = self._marker_seen or (bool(self._marker) and self._marker in seen)
        self._stdout_tail = seen[-len(self._marker):] if self._marker else ""

    def _expect_marker(self, cell):
        """Remove the marker from the output; if it never came, the test did not finish: make it fail."""
        remove_text(cell.outputs, f"{self._marker}\n") or remove_text(cell.outputs, self._marker)
        cell.outputs = [out for out in cell.outputs if not (out.output_type == "stream" and out.text == "")]
        if not self._marker_seen and not any(out.output_type == "error" for out in cell.outputs):
            cell.outputs.append(error_output("TestIncomplete", "this test did not run to its end"))

    # --- the kernel ---

    def _request(self, code, timeout=None, **options):
        """Run code without recording output; the execute reply, None if there was none in time."""
        saved, self.timeout = self.timeout, timeout or self.timeout
        try:
            return self.wait_for_reply(self.kc.execute(code, silent=True, store_history=False, allow_stdin=False,
                                                       **options))
        finally:
            self.timeout = saved

    def _run_quietly(self, code, timeout=None):
        """Run code without recording output; the execute reply, or None if the kernel died or did not answer."""
        try:
            return self._request(code, timeout)
        except DeadKernelError:
            return None

    def _succeeds(self, code, timeout=None):
        reply = self._run_quietly(code, timeout)
        return bool(reply) and reply["content"]["status"] == "ok"

    def _responsive(self):
        return self._succeeds("pass", timeout=self.check_timeout)

    def _restart(self):
        """A new kernel, with the guard and the provided and student cells run so far; a cell that
        kills or hangs the new kernel too is left out."""
        self._new_kernel()
        for source in list(self._replay):
            if not self._succeeds(source) and not self._responsive():
                self._replay.remove(source)
                self._new_kernel()

    def _new_kernel(self):
        run_sync(self._async_restart)()
        self._install_guard()

    async def _async_restart(self):
        """Kill the kernel and start another on fresh ports (the old ones may not be free yet)."""
        self.kc.stop_channels()
        await ensure_async(self.km.restart_kernel(now=True, newports=True))
        self.kc = self.km.client()
        await ensure_async(self.kc.start_channels())
        await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))


# --- autograding only in the sandbox ---

def grade_command(assignment, student=None):
    """The command that grades in the sandbox (tools/grade.py), for one student or the class."""
    one = f" --student {student} --force" if student and student != "*" else ""
    return f"uv run python tools/grade.py {assignment or '<assignment>'}{one}"


def unconfined_warning(resources):
    """What plain `nbgrader autograde` logs before it starts a kernel that is not the sandbox's."""
    assignment = (resources or {}).get("nbgrader", {}).get("assignment")
    return ("this kernel is not the grading sandbox: the notebook's code runs with your rights and can read and change "
            "the course (solutions, hidden tests, gradebook). Fine for submissions you trust (the course's tests, "
            f"your own dry runs); grade students with `{grade_command(assignment)}` (bubblewrap)")


class SandboxRequired(NbGraderException):
    """An autograde refused because its kernels would not run in tools/grade.py's sandbox."""


def started_by_api(configurable):
    """True if configurable belongs to an nbgrader command started through nbgrader's Python API
    (NbGraderAPI), as the formgrader's buttons start them, and not from the command line."""
    from nbgrader.apps.api import NbGraderAPI  # here: loaded by then in any process that can get here

    while configurable is not None:
        if isinstance(configurable, NbGraderAPI):
            return True
        configurable = configurable.parent
    return False


def refusal(assignment, student):
    """The formgrader's answer to its Autograde button, in lines that fit its error dialog (a <pre> that
    does not wrap: a long line would be cut at the dialog's edge)."""
    def fill(text):
        return textwrap.fill(text, width=64)

    return "\n".join([
        fill("The formgrader does not autograde in this course: its kernels would run the student's code with "
             "your rights, outside the bubblewrap sandbox, where it could read the solutions and hidden tests "
             "and change the gradebook. Nothing was graded or changed."),
        "Grade in a terminal, in the course folder:",
        f"  {grade_command(assignment, student)}",
        "or the whole class:",
        f"  {grade_command(assignment)}",
        fill("then reload this page: the formgrader shows the grades, and manual grading and feedback work as "
             "usual."),
    ])


class SandboxOnlyExporter(NotebookExporter):
    """Autograde's exporter (nbgrader_config.py sets it): refuses an autograde whose kernels would not be the
    sandbox's. The formgrader's button (nbgrader's API) is always refused; `nbgrader autograde` on the command
    line is refused unless tools/sandbox.py runs it (the sandbox's kernel) or it is told the notebooks are
    trusted (`--SandboxOnlyExporter.unconfined=True`: the course's own tests, an instructor's dry run).

    Autograde creates its exporter first thing in start(), before it removes an earlier autograded copy
    (force, which the formgrader always sets), records the student or copies any file: refusing here
    leaves the course as it was. GuardedExecute could refuse only after all of that."""

    unconfined = Bool(False, help="Autograde from the command line with kernels outside the sandbox: for "
                                  "notebooks you trust only.").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        coursedir = getattr(self.parent, "coursedir", None)
        assignment, student = (getattr(coursedir, "assignment_id", None), getattr(coursedir, "student_id", None))
        if started_by_api(self):
            message = refusal(assignment, student)
        elif self.config.GuardedExecute.get("kernel_name") != SANDBOX_KERNEL and not self.unconfined:
            message = command_line_refusal(assignment, student)
        else:
            return
        self.log.error(message)
        raise SandboxRequired(message)


def command_line_refusal(assignment, student):
    """The answer of plain `nbgrader autograde`."""
    return ("nbgrader autograde does not start kernels outside the grading sandbox in this course: they would run "
            "the student's code with your rights, where it could read the solutions and hidden tests and change "
            f"the gradebook. Nothing was graded or changed. Grade with `{grade_command(assignment, student)}` "
            "(bubblewrap). For notebooks you trust only (your own dry run, the course's tests), add "
            "--SandboxOnlyExporter.unconfined=True.")


def utf8(text):
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate from a kernel must not stop grading


def remove_text(outs, text):
    """Remove the last occurrence of text from the stdout streams of outs, even if it spans several; True if found."""
    streams = [out for out in outs if out.output_type == "stream" and out.name == "stdout"]
    joined = "".join(out.text for out in streams)
    start = joined.rfind(text)
    if start < 0:
        return False
    end, offset = start + len(text), 0
    for out in streams:
        low, high = max(start - offset, 0), min(end - offset, len(out.text))
        offset += len(out.text)
        if low < high:
            out.text = out.text[:low] + out.text[high:]
    return True


class HideHiddenTests(ClearHiddenTests):
    """Feedback without the hidden tests' code: nbgrader's ClearHiddenTests on the test cells, and of a test
    cell's output only its error's message. A traceback would quote the hidden code, and so could anything
    the cell printed: student code called by a test can read the test's source (IPython keeps every
    cell's source for its tracebacks) and print it."""

    def preprocess_cell(self, cell, resources, index):
        """A test cell without its hidden regions, and of its outputs only the error, without traceback."""
        if cell.cell_type == "code" and cell_kind(cell) == "test":
            cell, resources = super().preprocess_cell(cell, resources, index)
            cell.outputs = [out for out in cell.outputs if out.output_type == "error"]
            for out in cell.outputs:
                out.traceback = [f"{out.ename}: {out.evalue}"]
        return cell, resources
