"""The two environment descriptions agree, and CI runs exactly the README's test command; the student kit's
requirements.txt lists the course's packages that students need, with the same versions, and every package the
kit imports."""
import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import nbformat
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from course import RELEASE, REPO, SOURCE


def pyproject_requirements():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    found = {Requirement(spec).name.lower(): str(Requirement(spec).specifier) for spec in project["dependencies"]}
    found["python"] = project["requires-python"]
    return found


def is_local(entry):
    """A pip entry of environment.yml that is a folder of this repository, not a requirement."""
    return entry.startswith(("./", "../"))


def conda_requirements():
    """{name: specifier} of environment.yml: conda packages, the requirements of its pip section, and its local
    packages (by the name in their pyproject.toml, as pyproject.toml's [tool.uv.sources] maps them)."""
    spec = yaml.safe_load((REPO / "environment.yml").read_text())
    found = {}
    for dep in spec["dependencies"]:
        if isinstance(dep, dict):
            for entry in dep["pip"]:
                if is_local(entry):
                    found[tomllib.loads((REPO / entry / "pyproject.toml").read_text())["project"]["name"]] = ""
                else:
                    found[Requirement(entry).name.lower()] = str(Requirement(entry).specifier)
        elif dep != "pip":
            found[Requirement(dep).name.lower()] = str(Requirement(dep).specifier)
    return found


def test_local_packages_come_from_the_same_folder_for_uv_and_conda():
    sources = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["sources"]
    spec = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(dep["pip"] for dep in spec["dependencies"] if isinstance(dep, dict))
    assert sorted(Path(source["path"]) for source in sources.values()) == sorted(Path(p) for p in pip if is_local(p))


def test_environment_yml_lists_the_same_packages_and_versions_as_pyproject():
    assert conda_requirements() == pyproject_requirements()


def readme_commands():
    """The commands of the README's first code block: opening the course, the quick tests, every test."""
    text = (REPO / "README.md").read_text()
    block = text.split("```")[1]
    return [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]


def test_readme_starts_with_the_two_commands_and_ci_runs_every_test():
    open_course, quick_tests, every_test = readme_commands()
    assert open_course == "uv run jupyter lab" and quick_tests == "uv run pytest" and every_test == "uv run pytest --full"
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert ci_lines[-1] == every_test, ".ci/run must end by running the README's command for every test"
    assert "uv sync --locked" in ci_lines, ".ci/run must install the locked environment"


# The student kit's own environment: requirements.txt in the assignment folder, copied into the release.
KIT_REQUIREMENTS = SOURCE / "requirements.txt"
# In pyproject.toml, not in the kit: nbval, pytest-xdist and playwright run the course's own tests; jupyterhub serves
# the course on a hub (deploy/jupyterhub/), never on a student's own machine; lab03-jupyter-settings lets the
# course's own environment run as root (a student's server runs as the student); django-static-mathjax gives the
# instructor's feedback pages their MathJax (tools/feedback.py): students only read the pages.
DEVELOPER_ONLY = {"nbval", "pytest-xdist", "playwright", "jupyterhub", "lab03-jupyter-settings", "django-static-mathjax"}


def kit_requirements(path=KIT_REQUIREMENTS):
    found = {}
    for line in path.read_text().splitlines():
        spec = line.split("#")[0].strip()
        if spec:
            requirement = Requirement(spec)
            name = canonicalize_name(requirement.name)
            assert name not in found, f"{path.name} lists {name} twice"
            found[name] = requirement.specifier
    return found


def test_kit_requirements_are_the_course_packages_with_the_same_versions():
    course = {canonicalize_name(name): SpecifierSet(spec)
              for name, spec in pyproject_requirements().items() if name != "python"}
    kit = kit_requirements()
    disagree = {name: (str(spec), str(course.get(name, "not in pyproject.toml"))) for name, spec in kit.items()
                if course.get(name) != spec}
    assert not disagree, f"requirements.txt and pyproject.toml disagree (kit, course): {disagree}"
    developer = sorted(DEVELOPER_ONLY & set(kit))
    assert not developer, f"requirements.txt lists {developer}, which only the course's own tests use"
    missing = sorted(set(course) - set(kit) - DEVELOPER_ONLY)
    assert not missing, (f"pyproject.toml's {missing} are not in {KIT_REQUIREMENTS.relative_to(REPO)}: add them "
                         "(students need them) or to DEVELOPER_ONLY in tests/test_environment.py (they do not)")


def test_kit_states_the_course_python_version():
    minimum = pyproject_requirements()["python"]
    assert minimum.startswith(">="), minimum
    phrase = f"Python {minimum[2:]} or newer"
    for path in (KIT_REQUIREMENTS, SOURCE / "README.md"):
        assert phrase in path.read_text(), f"{path.relative_to(REPO)} must say '{phrase}' (pyproject.toml's requires-python)"


def _catches_import_error(handler):
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(name, ast.Name) and name.id in ("ImportError", "ModuleNotFoundError") for name in names)


def imported_modules(source):
    """The top-level modules that source imports unconditionally: {name: line}. An import inside the body
    of a `try` that catches ImportError is optional (the code runs without it), and relative imports are local."""
    code = "\n".join(re.sub(r"^(\s*)[%!].*", r"\1pass", line) for line in source.splitlines())  # IPython magics
    found = {}

    def visit(node, optional):
        if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            guarded = optional or any(_catches_import_error(handler) for handler in node.handlers if handler.type)
            for child in node.body:
                visit(child, guarded)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(child, optional)
            return
        if not optional and isinstance(node, ast.Import):
            found.update({alias.name.split(".")[0]: node.lineno for alias in node.names})
        if not optional and isinstance(node, ast.ImportFrom) and node.level == 0:
            found[node.module.split(".")[0]] = node.lineno
        for child in ast.iter_child_nodes(node):
            visit(child, optional)

    visit(ast.parse(code), False)
    return found


def test_import_scan_sees_what_the_kit_needs_and_not_what_is_optional():
    source = ("import os, numpy as np\nfrom matplotlib import pyplot\n%matplotlib inline\nfrom . import sibling\n"
              "try:\n    import torch\nexcept ImportError:\n    torch = None\nelse:\n    import torchvision\n"
              "def f():\n    from tqdm.auto import tqdm\n")
    assert imported_modules(source) == {"os": 1, "numpy": 1, "matplotlib": 2, "torchvision": 10, "tqdm": 12}


def kit_sources(kit=RELEASE):
    """(where, source) for every notebook code cell and Python file of the released kit."""
    for path in sorted(kit.glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                yield f"{path.name} cell {index}", cell.source
    for path in sorted(kit.rglob("*.py")):
        yield path.relative_to(kit).as_posix(), path.read_text(encoding="utf-8")


def kit_third_party_imports(kit=RELEASE):
    """{module: first place it is imported} for the kit's imports that are neither stdlib nor the kit's own modules."""
    local = {path.stem for path in kit.glob("*.py")} | {path.name for path in kit.iterdir() if (path / "__init__.py").is_file()}
    found = {}
    for where, source in kit_sources(kit):
        for module, line in imported_modules(source).items():
            if module not in sys.stdlib_module_names and module not in local:
                found.setdefault(module, f"{where}, line {line}")
    return found


def test_kit_requirements_cover_every_package_the_kit_imports():
    imports = kit_third_party_imports()
    assert {"numpy", "matplotlib", "pytest"} <= set(imports), f"the import scan missed the kit's packages: {imports}"
    distributions = importlib.metadata.packages_distributions()  # module -> the distributions that install it
    listed = set(kit_requirements())
    missing = {module: where for module, where in imports.items()
               if not listed & {canonicalize_name(d) for d in distributions.get(module, [module])}}
    assert not missing, f"the kit imports packages that {KIT_REQUIREMENTS.relative_to(REPO)} does not list: {missing}"
