"""The deployment files are valid for their schemas, and run the processes the platform has."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from check_jsonschema.cli.main_command import main as check_jsonschema

from bootstrap.runtime import WORKERS

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted(p for p in (ROOT / "k8s").glob("*.yaml") if p.name != "kustomization.yaml")


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name)
def test_kubernetes_manifest_is_valid_in_strict_mode(manifest: Path) -> None:
    for document in yaml.safe_load_all(manifest.read_text()):
        kubernetes_validate.validate(document, "1.30.0", strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    listed = set(yaml.safe_load((ROOT / "k8s" / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in MANIFESTS} - {"secret.example.yaml"}


def test_every_worker_has_a_deployment_running_it() -> None:
    commands = set()
    for manifest in MANIFESTS:
        document = yaml.safe_load(manifest.read_text())
        if document["kind"] == "Deployment":
            commands.add(tuple(document["spec"]["template"]["spec"]["containers"][0]["args"]))
    assert commands == {("serve",), *(("worker", name) for name in WORKERS)}


def test_compose_file_matches_the_compose_specification() -> None:
    with pytest.raises(SystemExit) as exit_info:
        check_jsonschema(["--builtin-schema", "vendor.compose-spec", str(ROOT / "docker" / "compose.yaml")])
    assert exit_info.value.code == 0


def test_compose_runs_the_api_and_every_worker_as_its_own_service() -> None:
    services = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())["services"]
    commands = {tuple(service["command"]) for service in services.values() if "command" in service}
    assert commands == {("serve",), *(("worker", name) for name in WORKERS)}
