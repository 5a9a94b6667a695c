"""The grading guard: runs inside the grading kernel, before any student code (tools/grading.py installs it).

The kernel cannot import this file (under bubblewrap it cannot see the course): GuardedExecute sends
install_code(secret), which runs this module's source as the module `_grading_guard` and calls
install(). install() takes a snapshot of what student code could monkeypatch and registers restore(),
which GuardedExecute calls before every test cell, through restore_expression(). restore() puts back:
  - the numpy, math, operator and builtins modules (their contents, and their sys.modules entries),
    and `np` and `math` in the notebook's namespace;
  - the IPython shell and kernel classes, methods set on the shell or kernel object itself, and the
    shell's event callbacks (a pre_run_cell callback would patch again just before each test);
  - the import system: sys.path, sys.meta_path, sys.path_hooks, sys.path_importer_cache and
    sys.pycache_prefix, and the trace and profile functions of the main thread;
  - the provided modules the tests import. If the kernel's environment held GRADING_PROVIDED at install
    (a read-only folder with the instructor's checks.py, doubles.py and lib/ helpers; it is read then,
    as a student may change os.environ later), their sources are read and compiled at install, and
    restore() executes them afresh: checks and doubles before every test, and the lib helpers already
    imported (the lib package and the lib/*.py helpers; the modules generated from the student's
    notebooks are not in that folder). A finder first on sys.meta_path serves
    the same code to any later import, so a `checks/` package, a forged .pyc or a rewritten file in the
    submission's folder is never imported in their place. Their __file__ is the submission's copy (the
    same file under bubblewrap, which mounts the instructor's over it), so that data next to them (lib/data/)
    and lib.export's output are the submission's. Without GRADING_PROVIDED (plain `nbgrader autograde`),
    checks and doubles are dropped from sys.modules and imported again, from the notebook's folder.

restore() answers a challenge with an HMAC keyed by the secret that only install() received: a test is
run only if the answer is right, so code that deletes the guard, replaces restore() or stops it from
running is detected, and the test scores zero (GuardedExecute reports GuardTampered).

What this does not stop. It shares a process with student code, which can in principle do anything the
guard can: read the secret out of restore's closure (or the memory of the process) and forge answers;
patch what is not listed above (other modules, the import machinery's classes, C-level state); leave a
thread running that patches things again after restore() and while a test runs; install audit hooks.
It raises the cost of cheating from a line to deliberate work on the grader's internals. The boundary
that holds is the sandbox (tools/sandbox_kernel.py): what the kernel can read and write, and that the
grading decision is taken outside the kernel.
"""
import hashlib
import hmac
import importlib.abc
import importlib.util
import os
import sys
import types
from pathlib import Path

MODULE = "_grading_guard"
PROVIDED_VARIABLE = "GRADING_PROVIDED"
PROVIDED_TOP = ("checks", "doubles")  # loaded before every test (or dropped from sys.modules if not provided)
KEPT_MODULES = ("builtins", "math", "operator", "numpy", "numpy.linalg", "numpy.random", "numpy.testing")


# --- the grader's side: the protocol, used by tools/grading.py ---------------------------------------

def install_code(secret):
    """Python code that installs this module in a kernel, with the secret of its challenges."""
    source = Path(__file__).read_text(encoding="utf-8")
    return (f"def _install_grading_guard(source, secret):\n"
            f"    import types\n"
            f"    guard = types.ModuleType({MODULE!r})\n"
            f"    exec(compile(source, {MODULE!r}, 'exec'), vars(guard))\n"
            f"    guard.install(secret)\n"
            f"_install_grading_guard({source!r}, {secret!r})\n"
            f"del _install_grading_guard\n")


def restore_expression(challenge):
    """An expression that restores the kernel and evaluates to the guard's answer to challenge."""
    return f"__import__('sys').modules[{MODULE!r}].restore({challenge!r})"


def answer(secret, challenge):
    """The answer of the real guard: HMAC-SHA256 of the challenge, keyed by the secret, in hex."""
    return hmac.new(secret.encode(), challenge.encode(), hashlib.sha256).hexdigest()


# --- the kernel's side --------------------------------------------------------------------------------

def install(secret, environ=os.environ):
    """Take the snapshot, start serving the provided modules, and register restore(challenge)."""
    provided = Provided(environ.get(PROVIDED_VARIABLE), os.getcwd())
    provided.serve()  # before the snapshot: restoring sys.meta_path keeps the finder first
    snapshot = Snapshot()
    reply = answer  # bound now: the module's globals can be changed later

    def restore(challenge):
        """Put the kernel back as it was at install; the proof that this guard did it."""
        snapshot.restore()
        provided.load()
        return reply(secret, challenge)

    guard = sys.modules.get(MODULE) or types.ModuleType(MODULE)
    guard.restore = restore
    sys.modules[MODULE] = guard
    return restore


class Snapshot:
    """The state of the kernel before any student code, and how to put it back."""

    def __init__(self):
        from IPython import get_ipython
        from IPython.core.interactiveshell import ExecutionResult

        for name in KEPT_MODULES:  # so that sys.modules holds each of them
            importlib.import_module(name)
        self.modules = {name: (module, dict(vars(module))) for name, module in sys.modules.items()
                        if name in ("builtins", "math", "operator", "numpy") or name.startswith("numpy.")}
        shell = get_ipython()
        objects = [shell] + ([shell.kernel] if getattr(shell, "kernel", None) is not None else [])
        classes = {cls for obj in objects for cls in type(obj).__mro__ if cls is not object} | {ExecutionResult}
        self.classes = {cls: dict(vars(cls)) for cls in classes}
        self.instances = [(obj, set(vars(obj))) for obj in objects]
        self.events = (shell.events, {event: list(callbacks) for event, callbacks in shell.events.callbacks.items()})
        self.imports = (list(sys.path), list(sys.meta_path), list(sys.path_hooks), dict(sys.path_importer_cache),
                        sys.pycache_prefix)
        self.tracing = (sys.gettrace(), sys.getprofile())
        self.main = sys.modules["__main__"]

    def restore(self):
        """Put everything back as it was at install."""
        self.restore_modules()
        self.restore_classes()
        self.restore_import_system()
        sys.settrace(self.tracing[0])
        sys.setprofile(self.tracing[1])
        self.main.np, self.main.math = self.modules["numpy"][0], self.modules["math"][0]

    def restore_modules(self):
        """numpy, math, operator and builtins: their contents, and their sys.modules entries."""
        for name, (module, contents) in self.modules.items():
            sys.modules[name] = module
            vars(module).update(contents)

    def restore_classes(self):
        """The IPython shell and kernel: their classes' contents, and no methods of their own."""
        for cls, contents in self.classes.items():
            for key, value in contents.items():
                if vars(cls).get(key) is not value:
                    try:
                        setattr(cls, key, value)
                    except (AttributeError, TypeError):  # read-only slots of built-in bases
                        pass
        for obj, names in self.instances:  # methods set on the shell or kernel object itself
            for name in set(vars(obj)) - names:
                if callable(getattr(type(obj), name, None)):
                    delattr(obj, name)
        events, callbacks = self.events  # a pre_run_cell callback would patch again just before the test
        events.callbacks.clear()
        events.callbacks.update({event: list(registered) for event, registered in callbacks.items()})

    def restore_import_system(self):
        """Where and how imports look for modules, and where they look for bytecode."""
        path, meta_path, path_hooks, importer_cache, pycache_prefix = self.imports
        sys.path, sys.meta_path, sys.path_hooks = list(path), list(meta_path), list(path_hooks)
        sys.path_importer_cache = dict(importer_cache)
        sys.pycache_prefix = pycache_prefix


class Provided:
    """The instructor's provided modules, compiled at install from folder (GRADING_PROVIDED; None: none)."""

    def __init__(self, folder, here):
        self.folder = folder
        self.code = {}  # module name -> (compiled code, __file__, search path if a package)
        if folder:
            for name, source in provided_sources(Path(folder)).items():
                self.add(name, source, Path(here))

    def add(self, name, source, here):
        """Compile source now: what happens to the file later does not matter."""
        relative = source.relative_to(self.folder)
        location = str(here / relative)
        package = [str(here / relative.parent)] if source.name == "__init__.py" else None
        self.code[name] = (compile(source.read_bytes(), location, "exec"), location, package)

    def serve(self):
        """Answer imports of the provided modules before any other finder."""
        if self.code:
            sys.meta_path.insert(0, ProvidedFinder(self))

    def spec(self, name):
        """A fresh module spec for a provided module; None for any other name."""
        if name not in self.code:
            return None
        code, location, package = self.code[name]
        return importlib.util.spec_from_file_location(name, location, loader=ProvidedLoader(code),
                                                      submodule_search_locations=package)

    def load(self):
        """The instructor's modules in sys.modules: checks and doubles always, the others if imported.
        checks and doubles not provided are dropped instead, to be imported again at their next use."""
        for name in PROVIDED_TOP:
            if name not in self.code:
                sys.modules.pop(name, None)
        for name in sorted(self.code, key=lambda name: name.count(".")):  # a package before its modules
            if name in PROVIDED_TOP or name in sys.modules:
                self.execute(name)

    def execute(self, name):
        """Run a provided module afresh, as an import would, and make it its package's attribute."""
        spec = self.spec(name)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, module)
        elif not parent:  # a fresh package: its submodules imported so far are its attributes again
            for other, submodule in list(sys.modules.items()):
                if other.startswith(name + ".") and "." not in other[len(name) + 1:]:
                    setattr(module, other[len(name) + 1:], submodule)


def provided_sources(folder):
    """{module name: source file} in a provided folder: its *.py and lib/*.py (the grader puts there only
    the provided modules, not those generated from the student's notebooks)."""
    found = {path.stem: path for path in sorted(folder.glob("*.py"))}
    for path in sorted((folder / "lib").glob("*.py")):
        found["lib" if path.stem == "__init__" else f"lib.{path.stem}"] = path
    return found


class ProvidedLoader(importlib.abc.Loader):
    """Executes code compiled at install: no file is read, no bytecode cache consulted."""

    def __init__(self, code):
        self.code = code

    def create_module(self, spec):
        """The default module."""
        return None

    def exec_module(self, module):
        """Run the instructor's code in the module."""
        exec(self.code, vars(module))  # noqa: S102  (the instructor's code, compiled at install)


class ProvidedFinder(importlib.abc.MetaPathFinder):
    """First on sys.meta_path: the provided modules come from the instructor's code, whatever the folder holds."""

    def __init__(self, provided):
        self.provided = provided

    def find_spec(self, name, path=None, target=None):
        """A spec for a provided module, None for the others (found as usual)."""
        return self.provided.spec(name)
