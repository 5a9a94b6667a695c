"""Start an IPython kernel for grading one submission, contained.

Used as a kernelspec's argv by tools/grade.py: python sandbox_kernel.py -f {connection_file}.
  - Limits: address space GRADING_MEMORY_BYTES (default 3 GiB) and file size GRADING_FILE_BYTES
    (default 256 MiB), inherited by every process the kernel starts.
  - Where bubblewrap (`bwrap`) is installed, the kernel sees the machine read-only except its own
    folder (the student's autograded copy), with a private /tmp, the folders listed in GRADING_HIDE
    (os.pathsep-separated: the course) hidden, no capabilities, and a process namespace of its own:
    writes outside its folder fail, and whatever it starts dies with it.
    This launcher stays alive as bubblewrap's parent, and bubblewrap dies with it (--die-with-parent):
    killing the launcher, as jupyter_client does to restart a kernel, ends the whole sandbox. (bwrap
    cannot have jupyter_client as parent: that starts kernels from short-lived threads, and a
    parent thread's end would kill the kernel at once.)
    Without bubblewrap, the kernel runs unconfined and tools/grade.py undoes changes to the course.
"""
import os
import resource
import shutil
import subprocess
import sys


def limit(kind, value):
    resource.setrlimit(kind, (value, value))


def contained(command, here):
    """command wrapped in bubblewrap, if it is installed."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return command
    wrapped = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for hidden in os.environ.get("GRADING_HIDE", "").split(os.pathsep):
        if hidden and os.path.isdir(hidden):
            wrapped += ["--tmpfs", hidden]
    return wrapped + ["--ro-bind", sys.prefix, sys.prefix,  # the environment, even inside a hidden course
                      "--bind", here, here, "--chdir", here, "--unshare-pid", "--die-with-parent",
                      "--new-session", "--cap-drop", "ALL", *command]


def main():
    connection = sys.argv[sys.argv.index("-f") + 1]
    here = os.getcwd()
    copy = os.path.join(here, ".kernel-connection.json")  # the original's folder is hidden from the kernel
    shutil.copyfile(connection, copy)
    limit(resource.RLIMIT_AS, int(os.environ.get("GRADING_MEMORY_BYTES", 3 << 30)))
    limit(resource.RLIMIT_FSIZE, int(os.environ.get("GRADING_FILE_BYTES", 256 << 20)))
    os.environ.update(HOME=here, IPYTHONDIR=os.path.join(here, ".ipython"), MPLCONFIGDIR=os.path.join(here, ".matplotlib"),
                      OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    # JPY_PARENT_PID: in its own process namespace the kernel cannot see that process, and would
    # take it for dead and shut down; tools/grade.py stops kernels left behind instead.
    for name in ("PYTHONPATH", "GRADING_HIDE", "JPY_PARENT_PID"):
        os.environ.pop(name, None)
    command = [sys.executable, "-m", "ipykernel_launcher", "-f", copy]
    if not shutil.which("bwrap"):
        os.execv(command[0], command)
    sys.exit(subprocess.Popen(contained(command, here)).wait())


if __name__ == "__main__":
    main()
