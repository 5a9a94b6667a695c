"""deploy/kubernetes/: the Zero to JupyterHub values validate against the chart's own schema, and say what
its README says (the exchange's mounts, the course's nbgrader config, the image). Fast, offline.

The schema is the chart's values.schema.yaml at tag 4.4.0 of jupyterhub/zero-to-jupyterhub-k8s (commit
5c5f5df751588a68a7781ead01d0f62e88e2e72f), turned into values.schema.json as the chart's own
tools/generate-json-schema.py does (descriptions dropped); chart-defaults.yaml is that commit's
jupyterhub/values.yaml, unchanged. Helm validates the chart's defaults merged with the user's values, so
the tests do the same.
"""
import copy
import json
import re
import types
from pathlib import Path

import jsonschema
import pytest
import yaml
from traitlets.config import Config

from tools import layout

HERE = Path(__file__).resolve().parents[1] / "deploy" / "kubernetes"
CHART = {"version": "4.4.0", "commit": "5c5f5df751588a68a7781ead01d0f62e88e2e72f", "jupyterhub": "5.5.0"}
VALUES = yaml.safe_load((HERE / "values.yaml").read_text())
SCHEMA = json.loads((HERE / "values.schema.json").read_text())
DEFAULTS = yaml.safe_load((HERE / "chart-defaults.yaml").read_text())
DOCKERFILE = (HERE / "Dockerfile").read_text()
README = (HERE / "README.md").read_text()
STUDENT_MOUNTS = ("exchange-outbound", "exchange-inbound", "exchange-feedback")


def merged(defaults, values):
    """Helm's coalescing of a chart's defaults with user values: maps merge, a null removes the key."""
    out = dict(defaults)
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def errors(values):
    validator = jsonschema.Draft7Validator(SCHEMA)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(merged(DEFAULTS, values)))


def nbgrader_config():
    """The system-wide nbgrader config that values.yaml puts in every pod, as nbgrader would load it."""
    c = Config()
    exec(VALUES["singleuser"]["extraFiles"]["nbgrader-config"]["stringData"], {"get_config": lambda: c})
    return c


def exchange_hook(volume):
    """values.yaml's pre_spawn_hook, with the exchange volume that the hub mounts at `volume`."""
    c = Config()
    namespace = {"c": c}
    exec(VALUES["hub"]["extraConfig"]["lab03-exchange"], namespace)
    assert c.KubeSpawner.pre_spawn_hook is namespace["lab03_exchange"]
    assert namespace["LAB03_ON_HUB"] == VALUES["hub"]["extraVolumeMounts"][0]["mountPath"]
    namespace["LAB03_ON_HUB"] = str(volume)
    return namespace["lab03_exchange"]


def spawner(login, groups=()):
    return types.SimpleNamespace(
        user=types.SimpleNamespace(name=login, groups=[types.SimpleNamespace(name=g) for g in groups]),
        volume_mounts=copy.deepcopy(VALUES["singleuser"]["storage"]["extraVolumeMounts"]))


def test_values_validate_against_the_chart_schema():
    assert errors(DEFAULTS) == [] and errors({}) == []
    assert errors(VALUES) == []


@pytest.mark.parametrize("path, typo", [
    (("singleuser",), "singleusr"),
    (("singleuser", "storage", "extraVolumeMounts"), "extraVolumeMount"),
    (("singleuser", "extraFiles", "nbgrader-config", "mountPath"), "mountpath"),
    (("hub", "extraConfig"), "extraConfg"),
])
def test_a_misspelt_key_fails_validation(path, typo):
    broken = copy.deepcopy(VALUES)
    parent = broken
    for key in path[:-1]:
        parent = parent[key]
    parent[typo] = parent.pop(path[-1])
    found = errors(broken)
    assert any(typo in message for message in found), found


def schema_at(node, key):
    """The schema of a key's value inside an object schema, or None if any key is accepted there."""
    if key in node.get("properties", {}):
        return node["properties"][key]
    for pattern, schema in node.get("patternProperties", {}).items():
        if re.search(pattern, key):
            return schema
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def unchecked(values, schema, path=()):
    """The places of `values` where the schema accepts any key, and so cannot catch a misspelling."""
    found = []
    for key, value in values.items():
        if schema.get("additionalProperties") is not False and key not in schema.get("properties", {}):
            found.append("/".join((*path, key)))
            continue
        inner = schema_at(schema, key)
        if isinstance(value, dict) and inner is not None and inner.get("type") in ("object", ["object"], None):
            found += unchecked(value, inner, (*path, key))
        elif isinstance(value, dict) and inner is not None and "object" in inner.get("type", []):
            found.append("/".join((*path, key, "*")))
    return found


def test_the_schema_forbids_unknown_keys_where_values_yaml_writes_but_in_these_places():
    """Most objects of the schema forbid unknown keys. Where values.yaml writes into free-form ones
    (JupyterHub's own config, Python code, Kubernetes volumes), the tests below check the contents."""
    assert SCHEMA["additionalProperties"] is False
    assert unchecked(VALUES, SCHEMA) == [
        "hub/config/JupyterHub/load_groups",
        "hub/extraConfig/lab03-exchange",
        "singleuser/storage/extraVolumes/*",
        "singleuser/storage/extraVolumeMounts/*",
    ]


def test_every_pod_has_the_course_nbgrader_config():
    c = nbgrader_config()
    assert VALUES["singleuser"]["extraFiles"]["nbgrader-config"]["mountPath"] == "/etc/jupyter/nbgrader_config.py"
    assert c.CourseDirectory.course_id == layout.COURSE_ID == "lab03"
    assert c.Exchange.root == "/srv/nbgrader/exchange"
    assert c.ExchangeCollect.check_owner is False  # every submission is owned by jovyan


def test_a_student_pod_mounts_its_own_folders_of_the_exchange_and_the_release_read_only():
    root = f"{nbgrader_config().Exchange.root}/{layout.COURSE_ID}"
    volumes = VALUES["singleuser"]["storage"]["extraVolumes"]
    mounts = VALUES["singleuser"]["storage"]["extraVolumeMounts"]
    assert set(mounts) == set(STUDENT_MOUNTS)
    for key, folder in zip(STUDENT_MOUNTS, ("outbound", "inbound", "feedback")):
        mount = mounts[key]
        assert mount["mountPath"] == f"{root}/{folder}"
        assert mount.get("readOnly", False) is (folder != "inbound")
        assert mount["subPath"] == (f"{layout.COURSE_ID}/outbound" if folder == "outbound"
                                    else f"students/{{unescaped_username}}/{layout.COURSE_ID}/{folder}")
        assert volumes[mount["name"]]["persistentVolumeClaim"]["claimName"] == "lab03-exchange"
    hub_volume, = VALUES["hub"]["extraVolumes"]
    assert hub_volume["persistentVolumeClaim"]["claimName"] == "lab03-exchange"
    assert VALUES["hub"]["extraVolumeMounts"][0]["name"] == hub_volume["name"]


def test_the_hook_makes_the_folders_a_student_pod_mounts(tmp_path):
    hook = exchange_hook(tmp_path)
    student = spawner("alice")
    hook(student)
    assert student.volume_mounts == VALUES["singleuser"]["storage"]["extraVolumeMounts"]
    for mount in student.volume_mounts.values():
        assert (tmp_path / mount["subPath"].replace("{unescaped_username}", "alice")).is_dir()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if not any(p.iterdir())) == [
        "lab03/outbound", "students/alice/lab03/feedback", "students/alice/lab03/inbound"]


def test_the_exchange_volume_is_the_claim_that_the_pods_mount():
    volume, claim = yaml.safe_load_all((HERE / "exchange-volume.yaml").read_text())
    assert claim["metadata"]["name"] == VALUES["singleuser"]["storage"]["extraVolumes"]["lab03-exchange"][
        "persistentVolumeClaim"]["claimName"]
    assert claim["spec"]["volumeName"] == volume["metadata"]["name"]
    assert volume["spec"]["accessModes"] == claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert f"--namespace {claim['metadata']['namespace']}" in (HERE / "values.yaml").read_text()


def test_an_instructor_pod_mounts_the_whole_exchange(tmp_path):
    hook = exchange_hook(tmp_path)
    group, = VALUES["hub"]["config"]["JupyterHub"]["load_groups"]
    instructor = spawner("instructor", [group])
    hook(instructor)
    assert instructor.volume_mounts == {"exchange-all": {"name": "lab03-exchange", "mountPath": nbgrader_config().Exchange.root}}
    assert not (tmp_path / "students").exists()


def test_the_image_is_the_locked_environment_without_the_course():
    copies = re.findall(r"^COPY (.*)$", DOCKERFILE, re.M)
    # never lib/, the notebooks or the gradebook: the lock, and the settings package it installs
    assert copies == ["pyproject.toml uv.lock ./", "deploy/jupyter-settings deploy/jupyter-settings"]
    assert "uv sync --locked" in DOCKERFILE
    assert f'"jupyterhub=={CHART["jupyterhub"]}"' in DOCKERFILE  # the hub's major version


def test_the_image_user_is_jovyan_with_the_uid_and_gid_of_the_pods():
    uid, gid = re.search(r"useradd .*--uid (\d+) --gid (\d+) .* jovyan$", DOCKERFILE, re.M).groups()
    assert (int(uid), int(gid)) == (VALUES["singleuser"]["uid"], VALUES["singleuser"]["fsGid"]) == (1000, 100)
    assert "USER 1000" in DOCKERFILE


def test_the_image_switches_the_formgrader_off_for_everyone_and_lets_the_instructor_switch_it_on():
    plugins = "@jupyter/nbgrader:formgrader @jupyter/nbgrader:create-assignment"
    assert f"jupyter labextension disable --level=sys_prefix {plugins}" in DOCKERFILE
    assert f"jupyter labextension unlock --level=sys_prefix {plugins}" in DOCKERFILE
    assert "jupyter server extension disable --sys-prefix nbgrader.server_extensions.formgrader" in DOCKERFILE
    assert "JUPYTER_PREFER_ENV_PATH=0" in DOCKERFILE
    # the instructor's way back (README step 4); `jupyter server extension enable --user` refuses an
    # extension that the user's own settings do not list yet, so the README writes the setting itself
    assert f"jupyter labextension enable --level=user {plugins}" in README
    assert '{"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": true}}}' in README


def test_the_image_makes_the_exchange_root_the_user_s():
    root = f"{nbgrader_config().Exchange.root}/{layout.COURSE_ID}"
    assert f"mkdir -p {root} && chown -R 1000:100 /srv/nbgrader" in DOCKERFILE


def test_the_readme_names_the_chart_the_schema_came_from_and_grades_as_the_course_readme():
    assert f"--version {CHART['version']}" in README and CHART["commit"] in README
    assert f"--version {CHART['version']}" in (HERE / "values.yaml").read_text()
    course_readme = (HERE.parents[1] / "README.md").read_text()
    for command in ('tools/grade.py lab03_training_loop --student "$STUDENT"', "tools/grade.py lab03_training_loop --record-only"):
        assert command in course_readme and command in README
