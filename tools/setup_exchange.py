"""Set up nbgrader's exchange for this course on one machine, once, before the first release.

    sudo install -d -m 1777 /srv/nbgrader/exchange                   # once per machine, as root (or any folder)
    uv run python tools/setup_exchange.py /srv/nbgrader/exchange    # in the course folder, as the instructor

1. Creates the folder with mode 1777: every user may create files in it (the instructor the course's folder,
   nbgrader its inbound and outbound), and the sticky bit keeps one user from renaming or deleting another's
   (nbgrader's docs say 0777, which would let a student replace the course's folder and its release).
2. Writes the instructor's local settings, nbgrader_config.local.py beside nbgrader_config.py (which loads
   it; .gitignore keeps it out of the repository): `c.Exchange.root`.
3. Writes student_nbgrader_config.py, what each student's ~/.jupyter/nbgrader_config.py must say (or, for every
   user of the machine at once, /etc/jupyter/nbgrader_config.py): the exchange and the course id.

nbgrader identifies a student by their Unix login (JupyterHub's user name on a hub): every student needs a
login of their own; two students sharing one, even with different homes, submit as one student.
"""
import argparse
import os
import stat
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools import layout  # noqa: E402

LOCAL_CONFIG = "nbgrader_config.local.py"
STUDENT_CONFIG = "student_nbgrader_config.py"
MODE = 0o1777


def create_exchange(root):
    """Make root (and its parents) with mode 1777; refuse a folder of someone else with another mode."""
    root.mkdir(parents=True, exist_ok=True)
    if stat.S_IMODE(root.stat().st_mode) != MODE:
        if root.stat().st_uid != os.geteuid():
            raise SystemExit(f"{root} has mode {stat.S_IMODE(root.stat().st_mode):o}, not {MODE:o}, and belongs to "
                             f"another user: run this as root, or ask them to `chmod {MODE:o} {root}`")
        root.chmod(MODE)


def settings(root, course_id=None):
    lines = ["# Written by tools/setup_exchange.py.", "c = get_config()  # noqa: F821",
             f"c.Exchange.root = {str(root)!r}"]
    if course_id:
        lines.append(f"c.CourseDirectory.course_id = {course_id!r}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("exchange", type=Path, help="the exchange's folder, e.g. /srv/nbgrader/exchange")
    parser.add_argument("--course", type=Path, default=layout.ROOT, help="the course's folder (default: this one)")
    args = parser.parse_args(argv)
    root = args.exchange.resolve()
    create_exchange(root)
    (args.course / LOCAL_CONFIG).write_text(settings(root))
    (args.course / STUDENT_CONFIG).write_text(settings(root, layout.COURSE_ID))
    print(f"exchange: {root} (mode {MODE:o})\n"
          f"instructor settings: {args.course / LOCAL_CONFIG} (loaded by nbgrader_config.py; not committed)\n"
          f"students: copy {args.course / STUDENT_CONFIG} to each student's ~/.jupyter/nbgrader_config.py, "
          "or to /etc/jupyter/nbgrader_config.py for every user of this machine")


if __name__ == "__main__":
    main()
