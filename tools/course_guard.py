"""The course's own files, kept as they were while a class is graded (tools/grade.py).

Student code runs in sandboxes that cannot see the course; this is the check behind them (and the only
one when grading --unconfined): every file of the course is fingerprinted at the start, and any change
made while grading is undone and reported, the gradebook included (as the grader last left it).
"""
import hashlib
import shutil
from pathlib import Path

from tools.inspection import files_of

PROTECTED = ("nbgrader_config.py", "tools", "lib", "notebooks", "release", "submitted")


def signature(path):
    """What any change to a file changes: the kernel sets ctime on every write, and no user can set it back."""
    st = path.lstat()
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Guard:
    """Fingerprints and a backup of the course's files; undo_changes() puts back what changed.

    Each check compares the files' signatures (a stat call each) and hashes only a file whose signature
    changed: checking after every student costs a stat per file, not a read of the whole course."""

    def __init__(self, course):
        self.course = course
        self.backup = course.grading / "backup"
        shutil.rmtree(self.backup, ignore_errors=True)
        self.files = {}
        for top in PROTECTED:
            path = course.root / top
            found = files_of(path) if path.is_dir() else ({"": path} if path.is_file() else {})
            self.files.update({(Path(top) / name).as_posix() if name else top: p for name, p in found.items()})
        self.hashes = {name: sha256(p) for name, p in self.files.items()}
        self.signatures = {name: signature(p) for name, p in self.files.items()}
        for name, path in self.files.items():
            (self.backup / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, self.backup / name)
        self.seal_gradebook()

    def seal_gradebook(self):
        """Remember the gradebook as the grader left it (after each recording)."""
        shutil.copyfile(self.course.gradebook, self.course.grading / "gradebook.sealed")
        self.gradebook_hash = sha256(self.course.gradebook)

    def undo_changes(self):
        """Restore every protected file that changed or vanished, and the gradebook; return what was undone."""
        undone = []
        for name, digest in self.hashes.items():
            path = self.course.root / name
            regular = path.is_file() and not path.is_symlink()
            if regular and signature(path) == self.signatures[name]:
                continue
            if not regular or sha256(path) != digest:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                elif path.is_symlink() or path.exists():
                    path.unlink()
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.backup / name, path)
                undone.append(name)
            self.signatures[name] = signature(path)
        if sha256(self.course.gradebook) != self.gradebook_hash:
            shutil.copyfile(self.course.grading / "gradebook.sealed", self.course.gradebook)
            undone.append("gradebook.db")
        return undone
