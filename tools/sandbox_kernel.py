"""Start an IPython kernel for grading one submission, contained.

Used as a kernelspec's argv by tools/sandbox.py: python sandbox_kernel.py -f {connection_file}, started
in the submission's working copy (its folder in a throw-away grading sandbox).

  - Limits: address space GRADING_MEMORY_BYTES (default 3 GiB) and file size GRADING_FILE_BYTES
    (default 256 MiB), inherited by every process the kernel starts.
  - With bubblewrap (`bwrap`), the kernel's filesystem is an allow-list, decided by what is mounted
    and not by where the course lives:
      * read-only: the operating system's programs and libraries (/usr, /bin, /lib...), a few files
        of /etc that programs need to start (no /etc/shadow, no /etc/ssl keys), the Python
        environment (sys.prefix) and its interpreter (sys.base_prefix);
      * read-only, in place of the notebooks in the working copy (which nbgrader writes with the hidden
        tests put back): the notebooks as the student handed them in (GRADING_SUBMITTED);
      * read-only: GRADING_PROVIDED, the instructor's copies of the provided modules (checks.py,
        doubles.py, lib/ helpers), also mounted over the submission's own copies of those files;
      * writable: the submission's working copy (the current folder) and a private, empty /tmp;
      * nothing else: not the course, its gradebook or source notebooks, other submissions, the
        instructor's home. The environment is cleared: the kernel gets only the variables set here.
    No capabilities, a process namespace of its own, a new session: whatever the kernel starts dies
    with it. This launcher stays alive as bubblewrap's parent, and bubblewrap dies with it
    (--die-with-parent): killing the launcher, as jupyter_client does to restart a kernel, ends the
    whole sandbox. (bwrap cannot have jupyter_client as parent: that starts kernels from short-lived
    threads, and a parent thread's end would kill the kernel at once.)
  - Without bubblewrap the kernel would run with the instructor's rights and could read the course:
    it starts only if GRADING_UNCONFINED=1 (tools/grade.py --unconfined), and refuses otherwise.
"""
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from kernel_guard import PROVIDED_VARIABLE

SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf", "fonts",
       "mime.types", "alternatives")
THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit(kind, value):
    resource.setrlimit(kind, (value, value))


def kernel_environment(here, provided):
    """The only variables the kernel sees: nothing of the instructor's environment."""
    env = {"PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin", "HOME": here, "LANG": "C.UTF-8",
           "IPYTHONDIR": f"{here}/.ipython", "MPLCONFIGDIR": f"{here}/.matplotlib", "MPLBACKEND": "agg",
           "PYTHONNOUSERSITE": "1", **dict.fromkeys(THREADS, "1")}
    if provided:
        env[PROVIDED_VARIABLE] = provided
    return env


def provided_files(provided):
    """Relative paths of the files in the provided folder (mounted over the submission's copies too)."""
    root = Path(provided)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def notebook_mounts(here, submitted):
    """The notebooks of the working copy as the student handed them in (read-only), or empty.

    nbgrader writes there the notebook it grades, with the hidden tests put back, and keeps the graded
    copies of earlier notebooks: the kernel must not read them. It needs the student's own notebooks,
    which the set-up cells export to lib/ (later notebooks import the student's earlier code)."""
    mounts = []
    for path in sorted(Path(here).glob("*.ipynb")):
        own = Path(submitted, path.name) if submitted else None
        mounts += ["--ro-bind", str(own) if own and own.is_file() else "/dev/null", str(path)]
    return mounts


def contained(command, here, env, submitted):
    """command in bubblewrap, seeing only the allow-list of the module docstring."""
    provided = env.get(PROVIDED_VARIABLE, "")
    mounts = ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]  # first: what is mounted below may live in /tmp
    for path in SYSTEM:
        if os.path.islink(path):  # /bin -> usr/bin on merged-/usr systems
            mounts += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            mounts += ["--ro-bind", path, path]
    for name in ETC:
        mounts += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for path in sorted({sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}):
        mounts += ["--ro-bind", path, path]
    mounts += ["--bind", here, here]
    mounts += notebook_mounts(here, submitted)
    if provided:
        mounts += ["--ro-bind", provided, provided]
        for name in provided_files(provided):  # the submission's copies cannot be rewritten either
            if os.path.isfile(os.path.join(here, name)):
                mounts += ["--ro-bind", os.path.join(provided, name), os.path.join(here, name)]
    settings = [arg for name, value in env.items() for arg in ("--setenv", name, value)]
    return ["bwrap", *mounts, "--clearenv", *settings, "--chdir", here, "--unshare-pid", "--die-with-parent",
            "--new-session", "--cap-drop", "ALL", *command]


def main():
    confined = shutil.which("bwrap") is not None
    if not confined and os.environ.get("GRADING_UNCONFINED") != "1":
        sys.exit("sandbox_kernel: bubblewrap is not installed, and student code would run with the instructor's "
                 "rights; install bubblewrap, or grade with --unconfined to accept that")
    connection = sys.argv[sys.argv.index("-f") + 1]
    here = os.getcwd()
    copy = os.path.join(here, ".kernel-connection.json")  # the original's folder is not mounted in the sandbox
    shutil.copyfile(connection, copy)
    limit(resource.RLIMIT_AS, int(os.environ.get("GRADING_MEMORY_BYTES", 3 << 30)))
    limit(resource.RLIMIT_FSIZE, int(os.environ.get("GRADING_FILE_BYTES", 256 << 20)))
    env = kernel_environment(here, os.environ.get(PROVIDED_VARIABLE, ""))
    command = [sys.executable, "-m", "ipykernel_launcher", "-f", copy]
    if confined:
        sys.exit(subprocess.Popen(contained(command, here, env, os.environ.get("GRADING_SUBMITTED", ""))).wait())
    # Unconfined, by request: still none of the instructor's variables (nor JPY_PARENT_PID, as under
    # bubblewrap, where the kernel cannot see that process and would take it for dead).
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main()
