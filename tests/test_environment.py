"""The two environment descriptions agree, and CI runs exactly the README's test command."""
import tomllib

import yaml
from packaging.requirements import Requirement

from course import REPO


def pyproject_requirements():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    found = {Requirement(spec).name.lower(): str(Requirement(spec).specifier) for spec in project["dependencies"]}
    found["python"] = project["requires-python"]
    return found


def conda_requirements():
    spec = yaml.safe_load((REPO / "environment.yml").read_text())
    return {Requirement(dep).name.lower(): str(Requirement(dep).specifier) for dep in spec["dependencies"]}


def test_environment_yml_lists_the_same_packages_and_versions_as_pyproject():
    assert conda_requirements() == pyproject_requirements()


def readme_commands():
    """The commands of the README's first code block: opening the course, running the tests."""
    text = (REPO / "README.md").read_text()
    block = text.split("```")[1]
    return [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one():
    open_course, run_tests = readme_commands()
    assert open_course == "uv run jupyter lab" and run_tests == "uv run pytest"
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert ci_lines[-1] == run_tests, ".ci/run must end by running the README's test command"
    assert "uv sync --locked" in ci_lines, ".ci/run must install the locked environment"
