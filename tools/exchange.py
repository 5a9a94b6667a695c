"""nbgrader's `collect`, made safe against what a student can put in a shared exchange.

Every student may write in the exchange's inbound folder (they submit there), and nbgrader's collect,
run by the instructor, trusts what it finds:
  - a folder named for another student is only warned about ("cheating attempt?") and then
    collected as that student's: the newest folder wins, so a forged one replaces their work;
  - it copies with the instructor's rights and follows symbolic links: a "submission" whose notebook
    is a link to the course's source notebook is collected with the solutions and hidden tests in it;
  - one folder whose name has no valid timestamp stops the collection of the whole class, and one
    without the files `submit` writes (timestamp.txt, submission_secret.txt) stops release_feedback.
SafeCollect (set in nbgrader_config.py, so the formgrader's Collect button uses it too) collects for
each student the newest submission that is a real folder, owned by that student, with the files
`submit` writes, and copies it without ever following a link. What it refuses it reports.
nbgrader's own `ExchangeCollect.check_owner = False` turns the owner check off, for set-ups where one
Unix user submits for every student (tests/test_lifecycle.py; Zero to JupyterHub, where all are jovyan).
"""
import errno
import os
import pwd
import stat
import tempfile
from datetime import datetime
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect

SUBMIT_WRITES = ("timestamp.txt", "submission_secret.txt")  # what nbgrader's submit adds to every submission


def owner_of(st):
    try:
        return pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        return f"uid {st.st_uid}"


def snapshot(source, target):
    """Copy the folder source into target (new) without following any link, even one swapped in while
    copying: folders are walked by descriptor (os.fwalk) and files opened with O_NOFOLLOW. Return the
    paths (relative to source) of the links and special files left out."""
    left_out = []
    target.mkdir()
    for folder, dirs, files, dir_fd in os.fwalk(source):
        here = target / os.path.relpath(folder, source)
        for name in list(dirs):
            if stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
                dirs.remove(name)  # fwalk would not enter it either; say so
                left_out.append(os.path.relpath(os.path.join(folder, name), source))
            else:
                (here / name).mkdir()
        for name in files:
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
            except OSError as error:
                if error.errno != errno.ELOOP:
                    raise
                left_out.append(os.path.relpath(os.path.join(folder, name), source))
                continue
            with os.fdopen(fd, "rb") as file:
                if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                    left_out.append(os.path.relpath(os.path.join(folder, name), source))
                    continue
                (here / name).write_bytes(file.read())
    return left_out


class SafeCollect(ExchangeCollect):
    """nbgrader's collect, refusing forged and linked submissions (see this module's docstring)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.reported = set()

    def _path_to_record(self, path):
        try:
            return super()._path_to_record(path)
        except Exception:  # noqa: BLE001  (nbgrader fails the whole collection; this refuses one folder)
            name = os.path.basename(path)
            if name not in self.reported:
                self.reported.add(name)
                self.log.error("Not collected: %s has no valid timestamp in its name", name)
            return {"username": name.split("+")[0], "filename": name, "timestamp": datetime.min,
                    "refusal": "has no valid timestamp in its name"}

    def refusal(self, record):
        """Why a submission folder is not the named student's own, as `submit` made it; None if it is."""
        path = os.path.join(self.inbound_path, record["filename"])
        st = os.lstat(path)
        if record.get("refusal"):
            return record["refusal"]
        if not stat.S_ISDIR(st.st_mode):
            return "is not a folder (a link?); cheating attempt?"
        if self.check_owner and owner_of(st) != record["username"]:  # nbgrader's option: off where one user plays all
            return f"is owned by {owner_of(st)}, not by {record['username']}; cheating attempt?"
        for name in SUBMIT_WRITES:
            try:
                if not stat.S_ISREG(os.lstat(os.path.join(path, name)).st_mode):
                    return f"has a {name} that is not a file; cheating attempt?"
            except FileNotFoundError:  # submit writes it last: a submission still arriving has none yet
                return f"has no {name} yet: still being submitted (collect --update again), or not made by `nbgrader submit`"
        return None

    def genuine(self, record):
        """The record if it is the student's own, else their newest own submission (None if none)."""
        why = self.refusal(record)
        if why is None:
            return record
        self.log.error("Not collected: %s %s", record["filename"], why)
        pattern = Path(self.inbound_path).glob(f"{record['username']}+{self.coursedir.assignment_id}+*")
        own = [r for r in map(self._path_to_record, map(str, pattern)) if r["username"] == record["username"]
               and self.refusal(r) is None]
        if self.duedate is not None and self.before_duedate:
            own = [r for r in own if r["timestamp"] <= self.duedate] or own
        return self._sort_by_timestamp(own)[0] if own else None

    def init_src(self):
        super().init_src()
        self.src_records = [r for r in map(self.genuine, self.src_records) if r is not None]

    def do_copy(self, src, dest, log=None):
        with tempfile.TemporaryDirectory(prefix="collect-") as scratch:
            copy = Path(scratch) / "submission"
            for path in snapshot(src, copy):
                self.log.error("Not collected: %s in %s is a link or a special file", path, os.path.basename(src))
            super().do_copy(str(copy), dest, log)
