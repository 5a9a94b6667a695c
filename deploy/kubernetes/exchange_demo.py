"""The exchange of values.yaml, tried on this machine: each pod imitated with bubblewrap, nbgrader 0.9.6 for real.

    uv run python deploy/kubernetes/exchange_demo.py        # about two minutes; needs bwrap (apt install bubblewrap)

Like the hub's pods, every "pod" here runs as uid 1000 named jovyan, with JUPYTERHUB_USER set, the course's
system-wide nbgrader config (values.yaml's singleuser.extraFiles) and only the folders of the "NFS volume"
(a temporary folder) that its mounts give: a student's three folders, made by values.yaml's own
pre_spawn_hook, or the whole volume for the instructor. A one-notebook course stands in for Lab 03.
It prints what each pod does and stops at the first claim of README.md that does not hold:
  1. each student sees only their own submissions, and cannot change the release;
  2. a student who submits under another's name (--student) only writes in their own folder;
  3. nbgrader collect follows symbolic links: a link planted in a submission brings the instructor's
     own file (here the solution) into submitted/; `find -type l` before collecting finds it;
  4. collect --student, folder by folder, takes each student's own work;
  5. release_feedback, folder by folder, returns each student's feedback to them alone;
  6. with the whole volume mounted in every pod (the naive set-up), a student reads and deletes
     another's submission and rewrites the release.
"""
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import nbformat
import yaml

HERE = Path(__file__).resolve().parent
ROOT = "/srv/nbgrader/exchange"
LAB = f"{ROOT}/lab03"


def hook(values, volume):
    """values.yaml's pre_spawn_hook, making its folders in `volume` instead of the hub's mount."""
    namespace = {"c": types.SimpleNamespace(KubeSpawner=types.SimpleNamespace())}
    exec(values["hub"]["extraConfig"]["lab03-exchange"], namespace)
    namespace["LAB03_ON_HUB"] = str(volume)
    return namespace["lab03_exchange"]


class Cluster:
    def __init__(self, base, naive=False):
        self.values = yaml.safe_load((HERE / "values.yaml").read_text())
        self.base, self.naive = base, naive
        self.volume = base / "volume"
        self.volume.mkdir(parents=True)
        self.hook = hook(self.values, self.volume)
        (base / "passwd").write_text("jovyan:x:1000:100::/home/jovyan:/bin/bash\n")
        (base / "group").write_text("users:x:100:\n")
        (base / "nbgrader_config.py").write_text(self.values["singleuser"]["extraFiles"]["nbgrader-config"]["stringData"])

    def mounts(self, login, instructor):
        """The bind mounts KubeSpawner would give this user's pod."""
        if self.naive:
            return ["--bind", str(self.volume), ROOT]
        spawner = types.SimpleNamespace(
            user=types.SimpleNamespace(name=login, groups=[types.SimpleNamespace(name="instructors")] if instructor else []),
            volume_mounts=dict(self.values["singleuser"]["storage"]["extraVolumeMounts"]))
        self.hook(spawner)
        binds = []
        for mount in spawner.volume_mounts.values():
            source = self.volume / mount.get("subPath", "").replace("{unescaped_username}", login)
            binds += ["--ro-bind" if mount.get("readOnly") else "--bind", str(source), mount["mountPath"]]
        return binds

    def pod(self, login, script, instructor=False):
        """Run a shell script in `login`'s pod; print and return its output."""
        home = self.base / "home" / login
        home.mkdir(parents=True, exist_ok=True)
        command = [
            "bwrap", "--unshare-user", "--uid", "1000", "--gid", "100", "--ro-bind", "/", "/", "--dev", "/dev",
            "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/etc",
            "--ro-bind", str(self.base / "passwd"), "/etc/passwd", "--ro-bind", str(self.base / "group"), "/etc/group",
            "--dir", "/etc/jupyter", "--ro-bind", str(self.base / "nbgrader_config.py"), "/etc/jupyter/nbgrader_config.py",
            # the image makes the exchange root, owned by jovyan (Dockerfile); the volume is mounted below it
            "--tmpfs", "/srv", "--dir", LAB, "--tmpfs", "/home", "--bind", str(home), "/home/jovyan",
            *self.mounts(login, instructor), "--chdir", "/home/jovyan", "--clearenv",
            "--setenv", "HOME", "/home/jovyan", "--setenv", "JUPYTERHUB_USER", login,
            "--setenv", "PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin", "bash", "-c", script]
        done = subprocess.run(command, capture_output=True, text=True)
        output = "\n".join(line for line in (done.stdout + done.stderr).splitlines()
                           if not any(noise in line for noise in NOISE))
        print(f"\n[{login}{' (whole volume)' if self.naive else ''}] $ {script}\n" + "".join(f"    {line}\n" for line in output.splitlines()))
        return output


def course(home):
    """The instructor's course: one notebook with a solution and a test (ps1 stands in for lab03_training_loop)."""
    folder = home / "course" / "source" / "ps1"
    folder.mkdir(parents=True)
    cell = lambda source, **nbgrader: nbformat.v4.new_code_cell(source, metadata={"nbgrader": {
        "schema_version": 3, "locked": False, "solution": False, "grade": False, **nbgrader}})
    notebook = nbformat.v4.new_notebook(cells=[
        cell("def answer():\n    ### BEGIN SOLUTION\n    return 42  # the instructor's solution\n    ### END SOLUTION",
             solution=True, grade_id="answer"),
        cell("assert answer() == 42", grade=True, locked=True, points=1, grade_id="test")])
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "p.ipynb")
    (home / "course" / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.root = '/home/jovyan/course'\n")


def check(claim, holds):
    if not holds:
        sys.exit(f"\nFAILED: {claim}")
    print(f"  OK: {claim}")


QUIET = "--log-level=ERROR"
# nbgrader's and the kernel's warnings that say nothing about the exchange
NOISE = ("SAWarning", "for notebook in", "return [x for x in", "without encryption")
RELEASE = f"cd ~/course && nbgrader generate_assignment ps1 {QUIET} && nbgrader release_assignment ps1 {QUIET}"


def work(student):
    return (f"nbgrader fetch_assignment ps1 {QUIET} && sed -i 's/raise NotImplementedError()/return 42  # work of {student}/'"
            f" ps1/p.ipynb && nbgrader submit ps1 {QUIET}")


def per_student(command, student):
    return f"nbgrader {command} ps1 --student={student} --Exchange.root={ROOT}/students/{student} {QUIET}"


def main():
    if not shutil.which("bwrap"):
        sys.exit("bubblewrap is needed (apt install bubblewrap)")
    with tempfile.TemporaryDirectory() as tmp:
        print("=== values.yaml: each student's pod mounts its own folders")
        hub = Cluster(Path(tmp) / "recommended")
        course(hub.base / "home" / "instructor")
        hub.pod("instructor", RELEASE, instructor=True)
        for student in ("alice", "bob"):
            hub.pod(student, work(student))
        seen = hub.pod("alice", f"ls {ROOT} {LAB}/inbound; ls {ROOT}/students; touch {LAB}/outbound/ps1/p.ipynb")
        check("1. alice sees only her own submission and cannot change the release",
              "alice+ps1+" in seen and "bob" not in seen and "Read-only file system" in seen)
        seen = hub.pod("alice", f"nbgrader submit ps1 --student=bob {QUIET}; ls {LAB}/inbound")
        check("2. alice's submission as bob lands in her own folder", "bob+ps1+" in seen)
        fake = f'"{LAB}/inbound/alice+ps1+2099-01-01 00:00:00.000000 UTC+x"'
        hub.pod("alice", f"mkdir {fake} && ln -s /home/jovyan/course/source/ps1/p.ipynb {fake}/p.ipynb && "
                         f"echo '2099-01-01 00:00:00.000000 UTC' > {fake}/timestamp.txt")
        links = hub.pod("instructor", f"find {ROOT}/students -type l", instructor=True)
        collect = "cd ~/course && " + " && ".join(per_student("collect", s) for s in ("alice", "bob"))
        got = hub.pod("instructor", f"{collect} && grep -H -o \"work of [a-z]*\\|the instructor.s solution\" "
                                    "submitted/*/ps1/p.ipynb", instructor=True)
        check("3. collect copies what a planted link points to; find -type l lists the link first",
              "alice/ps1/p.ipynb:the instructor's solution" in got and "p.ipynb" in links)
        got = hub.pod("instructor", f"find {ROOT}/students -type l -printf '%h\\0' | xargs -0 rm -rf && rm -rf ~/course/submitted"
                                    f" && {collect} && grep -H -o \"work of [a-z]*\" ~/course/submitted/*/ps1/p.ipynb", instructor=True)
        check("4. collect --student finds each student's own work in their own folder",
              "alice/ps1/p.ipynb:work of alice" in got and "bob/ps1/p.ipynb:work of bob" in got)
        hub.pod("instructor", f"cd ~/course && nbgrader autograde ps1 {QUIET} && nbgrader generate_feedback ps1 {QUIET} && "
                + " && ".join(per_student("release_feedback", s) for s in ("alice", "bob")), instructor=True)
        mine = {s: hub.pod(s, f"nbgrader fetch_feedback ps1 {QUIET}; ls ps1/feedback/*/; ls {LAB}/feedback") for s in ("alice", "bob")}
        check("5. each student fetches their own feedback and sees no one else's",
              all("p.html" in out and len(out.split(".html")) == 3 for out in mine.values()))

        print("\n=== the naive set-up: the whole volume at the exchange root of every pod")
        naive = Cluster(Path(tmp) / "naive", naive=True)
        course(naive.base / "home" / "instructor")
        naive.pod("instructor", RELEASE)
        naive.pod("bob", work("bob"))
        seen = naive.pod("alice", f"grep -h -o 'work of bob' {LAB}/inbound/bob+*/p.ipynb && rm -rf {LAB}/inbound/bob+* && "
                                  f"echo '# replaced' >> {LAB}/outbound/ps1/p.ipynb && ls {LAB}/inbound | wc -l")
        check("6. alice reads and deletes bob's submission and rewrites the release",
              seen.splitlines()[:2] == ["work of bob", "0"])
    print("\nEvery claim held.")


if __name__ == "__main__":
    main()
