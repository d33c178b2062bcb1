"""Repository checks that hassfest and the HACS action would make (they cannot run offline)."""

import ast
import importlib.util
import json
from pathlib import Path
import re
import struct
import subprocess
from typing import Any
import zipfile

from homeassistant.const import Platform
import pytest
import yaml

from .translation_rules import Problem, check_icons, check_strings

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "scrobbler"

# The integration quality scale: every rule of every tier (hassfest's ALL_RULES).
QUALITY_SCALE_RULES = {
    "bronze": [
        "action-setup", "appropriate-polling", "brands", "common-modules",
        "config-flow-test-coverage", "config-flow", "dependency-transparency", "docs-actions",
        "docs-triggers", "docs-conditions", "docs-high-level-description",
        "docs-installation-instructions", "docs-removal-instructions", "entity-event-setup",
        "entity-unique-id", "has-entity-name", "runtime-data", "test-before-configure",
        "test-before-setup", "unique-config-entry",
    ],
    "silver": [
        "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
        "docs-installation-parameters", "entity-unavailable", "integration-owner",
        "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    ],
    "gold": [
        "devices", "diagnostics", "discovery-update-info", "discovery", "docs-data-update",
        "docs-examples", "docs-known-limitations", "docs-supported-devices",
        "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
        "entity-category", "entity-device-class", "entity-disabled-by-default",
        "entity-translations", "exception-translations", "icon-translations",
        "reconfiguration-flow", "repair-issues", "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}  # fmt: skip

HACS_KEYS = {
    "name", "content_in_root", "zip_release", "filename", "hide_default_branch", "country",
    "homeassistant", "hacs", "persistent_directory",
}  # fmt: skip


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_manifest() -> None:
    manifest = _json(INTEGRATION / "manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "hassfest wants domain, name, then alphabetical order"
    for required in ("domain", "name", "codeowners", "documentation", "issue_tracker", "version",
                     "iot_class", "config_flow", "integration_type", "requirements"):  # fmt: skip
        assert required in manifest, required
    assert manifest["domain"] == INTEGRATION.name == "scrobbler"
    assert manifest["config_flow"] is True
    # Each entry is an account or a server, not a hub of devices: "Add service", not "Add hub".
    assert manifest["integration_type"] == "service"
    assert manifest["documentation"].startswith("https://")
    assert manifest["issue_tracker"].startswith("https://")
    assert manifest["codeowners"]
    assert "music-assistant-client>=1.5.1" in manifest["requirements"]
    assert not any(req.startswith("pylast") for req in manifest["requirements"])


def test_hacs_json() -> None:
    hacs = _json(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS, f"unknown keys: {set(hacs) - HACS_KEYS}"
    assert hacs["name"] == "Scrobbler"
    assert hacs["homeassistant"] == "2026.10.0"
    # Releases carry the integration as a zip (release.yaml builds it); HACS needs its name.
    assert hacs["zip_release"] is True
    assert hacs["filename"] == "scrobbler.zip"


def test_repository_files() -> None:
    for name in ("README.md", "hacs.json", "LICENSE", "requirements_test.txt", ".gitignore",
                 "script/setup", "script/test", "script/develop", "script/release_zip", ".ci/run",
                 ".github/workflows/validate.yaml", ".github/workflows/tests.yaml",
                 ".github/workflows/release.yaml"):  # fmt: skip
        assert (ROOT / name).is_file(), name
    assert [p.name for p in (ROOT / "custom_components").iterdir() if p.is_dir()
            and not p.name.startswith("__")] == ["scrobbler"]  # fmt: skip


def test_brand_images() -> None:
    assert _png_size(INTEGRATION / "brand" / "icon.png") == (256, 256)
    assert _png_size(INTEGRATION / "brand" / "icon@2x.png") == (512, 512)


def test_translations_are_generated_from_strings() -> None:
    spec = importlib.util.spec_from_file_location(
        "translations", ROOT / "script" / "translations.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert _json(INTEGRATION / "translations" / "en.json") == module.resolve(
        _json(INTEGRATION / "strings.json")
    )


TRANSLATION_FILES = ["strings.json", "translations/en.json"]


def _problems(name: str) -> list[Problem]:
    return check_strings(_json(INTEGRATION / name), INTEGRATION.name, name=name)


@pytest.mark.parametrize("name", TRANSLATION_FILES)
def test_strings_follow_hassfest_rules(name: str) -> None:
    """Sections, keys, texts and references as hassfest checks them (URLs: the next test)."""
    problems = [p for p in _problems(name) if p.rule != "url"]
    assert not problems, "\n".join(map(str, problems))


def test_translations_have_no_references() -> None:
    """translations/en.json is what the frontend reads: every reference is resolved."""
    assert "[%key:" not in (INTEGRATION / "translations" / "en.json").read_text()


@pytest.mark.parametrize(
    "area",
    [
        "lastfm",
        "others",
    ],
)
def test_strings_have_no_urls(area: str) -> None:
    """hassfest refuses URLs in texts: links and examples go in description placeholders."""
    problems = [
        p
        for name in TRANSLATION_FILES
        for p in _problems(name)
        if p.rule == "url" and (".step.lastfm" in p.path) == (area == "lastfm")
    ]
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize(
    ("strings", "rule"),
    [
        ({"unknown_section": {}}, "section"),
        ({"config": {"step": {}, "title": "Scrobbler"}}, "removed"),
        ({"config": {"step": {"user": {"description": "See https://example.org/x"}}}}, "url"),
        ({"config": {"step": {"user": {"description": "Visit www.example.org"}}}}, "url"),
        ({"config": {"step": {"user": {"description": "<b>bold</b>"}}}}, "html"),
        ({"config": {"step": {"user": {"description": "Name '{name}'"}}}}, "quoted_placeholder"),
        ({"config": {"step": {"user": {"description": "{0bad}"}}}}, "placeholder"),
        ({"config": {"step": {"user": {"description": "unbalanced {"}}}}, "placeholder"),
        ({"config": {"step": {"user": {"description": " padded"}}}}, "whitespace"),
        ({"config": {"abort": {"x": "See [%key:common::config_flow::error::unknown%]"}}, "step": {}}, "combined_reference"),
        ({"config": {"step": {}, "abort": {"x": "[%key:common::config_flow::abort::nope%]"}}}, "reference"),
        ({"config": {"step": {}, "abort": {"x": "[%key:component::scrobbler::config::abort::y%]", "y": "[%key:common::config_flow::error::unknown%]"}}}, "reference"),
        ({"config": {"step": {"user": {"data_description": {"url": "The address"}}}}}, "data_description"),
        ({"config": {"step": {"user": {"sections": {"more": {"other": "x"}}}}}}, "section"),
        ({"config": {"error": {}}}, "required"),
        ({"entity": {"sensor": {"Now_Playing": {"name": "Now playing"}}}}, "key"),
        ({"entity": {"sensor": {"now__playing": {"name": "Now playing"}}}}, "key"),
        ({"entity": {"sensor": {"x": {"state": {"on": "On {when}"}}}}}, "placeholder"),
        ({"entity": {"sensor": {"x": {"state_attributes": {"a": {"name": "A {b}"}}}}}}, "placeholder"),
        ({"entity": {"sensor": {"x": {"unit_of_measurement": "{unit}"}}}}, "placeholder"),
        ({"entity": {"Sensor": {}}}, "key"),
        ({"exceptions": {"Bad-Key": {"message": "x"}}}, "key"),
        ({"exceptions": {"x": {"text": "x"}}}, "section"),
        ({"selector": {"s": {"options": {"Custom": "x"}}}}, "key"),
        ({"issues": {"x": {"title": "x"}}}, "issue"),
        ({"services": {"love": {"name": "Love"}}}, "required"),
        ({"config_subentries": {"source": {"step": {}}}}, "required"),
        ({"title": 3}, "type"),
    ],
)  # fmt: skip
def test_hassfest_rules_are_checked(strings: dict[str, Any], rule: str) -> None:
    """Each rule of the check finds what it is about."""
    assert rule in {p.rule for p in check_strings(strings, INTEGRATION.name)}


def test_icons_follow_hassfest_rules() -> None:
    problems = check_icons(_json(INTEGRATION / "icons.json"))
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize(
    "icons",
    [
        {"entity": {"sensor": {"x": {"default": "music"}}}},
        {"entity": {"sensor": {"x": {"state": {"On": "mdi:music"}}}}},
        {"entity": {"sensor": {"x": {"colour": "mdi:music"}}}},
        {"services": {"love": {"sections": {}}}},
        {"platforms": {}},
    ],
)
def test_icon_rules_are_checked(icons: dict[str, Any]) -> None:
    assert check_icons(icons)


def _steps(strings: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    steps = [(f"config.{k}", v) for k, v in strings.get("config", {}).get("step", {}).items()]
    steps += [(f"options.{k}", v) for k, v in strings.get("options", {}).get("step", {}).items()]
    return steps


def test_every_data_field_is_described() -> None:
    strings = _json(INTEGRATION / "strings.json")
    for name, step in _steps(strings):
        missing = set(step.get("data", {})) - set(step.get("data_description", {}))
        assert not missing, f"{name}: no data_description for {sorted(missing)}"


def _string_keywords(call_names: set[str], keyword: str) -> set[str]:
    """Every string literal passed as `keyword=` to a call of one of call_names."""
    found: set[str] = set()
    for path in INTEGRATION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in call_names:
                continue
            for kw in node.keywords:
                if kw.arg == keyword and isinstance(kw.value, ast.Constant):
                    found.add(str(kw.value.value))
    return found


def _error_literals() -> set[str]:
    """String values assigned into a dict named errors (errors["base"] = "x")."""
    found: set[str] = set()
    for path in INTEGRATION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
                and any(
                    isinstance(t, ast.Subscript)
                    and isinstance(t.value, ast.Name)
                    and t.value.id == "errors"
                    for t in node.targets
                )
            ):
                found.add(node.value.value)
    return found


def test_used_translation_keys_exist() -> None:
    strings = _json(INTEGRATION / "strings.json")
    config = strings.get("config", {})
    # the flows of config subentries use the same calls
    flows = [config, *strings.get("config_subentries", {}).values()]
    aborts = {key for flow in flows for key in flow.get("abort", {})}
    errors = {key for flow in flows for key in flow.get("error", {})}
    exceptions = set(strings.get("exceptions", {}))
    # Steps of the config flow, of subentry flows and of the options flow.
    steps = {key for flow in flows for key in flow.get("step", {})} | set(
        strings.get("options", {}).get("step", {})
    )
    assert (
        _string_keywords(
            {"async_abort", "async_update_reload_and_abort", "async_update_and_abort"}, "reason"
        )
        <= aborts
    )
    assert _error_literals() <= errors
    assert _string_keywords({"async_show_form", "async_show_menu"}, "step_id") <= steps
    assert _string_keywords({"async_show_progress"}, "progress_action") <= set(
        config.get("progress", {})
    )
    assert _string_keywords(
        {"HomeAssistantError", "ServiceValidationError", "ConfigEntryNotReady",
         "ConfigEntryAuthFailed", "ConfigEntryError", "UpdateFailed"}, "translation_key"
    ) <= exceptions  # fmt: skip


def test_entity_translations_have_names_and_icons() -> None:
    strings = _json(INTEGRATION / "strings.json").get("entity", {})
    icons = _json(INTEGRATION / "icons.json").get("entity", {})
    for platform, entities in strings.items():
        assert platform in {p.value for p in Platform}
        for key, entity in entities.items():
            assert "name" in entity, f"{platform}.{key} has no name"
            assert key in icons.get(platform, {}), f"{platform}.{key} has no icon"


def test_quality_scale_lists_every_rule() -> None:
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    expected = [rule for tier in QUALITY_SCALE_RULES.values() for rule in tier]
    assert len(expected) == 54
    assert sorted(rules) == sorted(expected)
    for rule, status in rules.items():
        if isinstance(status, dict):
            assert status["status"] in {"done", "todo", "exempt"}, rule
            assert status["comment"], rule
        else:
            assert status in {"done", "todo"}, rule


def test_quality_scale_cites_tests_that_exist() -> None:
    """Every test a rule names (``tests/x.py::test_a, test_b``) is defined in that file."""
    text = (INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8")
    cited: list[tuple[str, str]] = []
    for match in re.finditer(r"(tests/[\w/]+\.py)::(.*?)(?=tests/|$)", text, re.DOTALL):
        cited += [(match[1], name) for name in re.findall(r"\btest_\w+", match[2])]
    assert len(cited) > 20
    missing = [
        f"{path}::{name}"
        for path, name in cited
        if not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(), re.MULTILINE)
    ]
    assert missing == []


def test_no_import_inside_a_function() -> None:
    """Imports run when a module loads, never in the event loop (a blocking import)."""
    late = [
        f"{source.relative_to(INTEGRATION)}:{node.lineno}"
        for source in sorted(INTEGRATION.glob("**/*.py"))
        for function in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert late == []


def test_platforms_set_parallel_updates() -> None:
    """Each platform module says how many updates may run at once (quality scale)."""
    platforms = {p.value for p in Platform}
    modules = [path for path in INTEGRATION.glob("*.py") if path.stem in platforms]
    assert modules
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        assert "PARALLEL_UPDATES" in assigned, path.name


@pytest.mark.parametrize("name", ["strings.json", "icons.json", "translations/en.json"])
def test_json_files_are_valid(name: str) -> None:
    assert isinstance(_json(INTEGRATION / name), dict)


WORKFLOWS = ROOT / ".github" / "workflows"


def _workflow(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(workflow, dict)
    # YAML 1.1 reads the key `on` as the boolean true.
    workflow["on"] = workflow.pop(True)
    return workflow


def _workflow_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _uses(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each action a workflow uses, without its ref, with the step's inputs."""
    return {
        step["uses"].split("@")[0]: step.get("with", {})
        for step in _workflow_steps(workflow)
        if "uses" in step
    }


def test_workflows_are_the_expected_ones() -> None:
    assert sorted(p.name for p in WORKFLOWS.iterdir()) == [
        "release.yaml",
        "tests.yaml",
        "validate.yaml",
    ]


@pytest.mark.parametrize("name", ["validate.yaml", "tests.yaml", "release.yaml"])
def test_workflow_pins_actions_and_limits_permissions(name: str) -> None:
    workflow = _workflow(name)
    assert workflow["name"]
    assert workflow["jobs"]
    # Read-only (or nothing) by default; a job that writes says so itself.
    assert workflow["permissions"] in ({}, {"contents": "read"})
    for job in workflow["jobs"].values():
        assert job["runs-on"] == "ubuntu-latest"
        assert job["timeout-minutes"] > 0
        assert set(job.get("permissions", {}).values()) <= {"read", "write"}
    for step in _workflow_steps(workflow):
        assert step.get("name"), step
        if "uses" not in step:
            continue
        action, _, ref = step["uses"].partition("@")
        assert ref, f"{action} is not pinned"
        if action.startswith("actions/"):
            assert ref[0] == "v", step["uses"]
            assert ref[1:].isdigit(), f"{step['uses']}: pin GitHub's actions to a major version"


def test_validate_workflow_runs_hassfest_and_hacs() -> None:
    workflow = _workflow("validate.yaml")
    assert {"push", "pull_request", "schedule"} <= set(workflow["on"])
    assert workflow["on"]["schedule"][0]["cron"]
    uses = _uses(workflow)
    assert "home-assistant/actions/hassfest" in uses
    assert uses["hacs/action"]["category"] == "integration"
    # Without the result comment the job's read-only token is enough.
    assert uses["hacs/action"]["comment"] is False
    # The brand images are in the integration's brand/ folder, not in the brands repository.
    assert uses["hacs/action"]["ignore"] == "brands"
    assert (INTEGRATION / "brand" / "icon.png").is_file()
    assert workflow["permissions"] == {"contents": "read"}


def test_tests_workflow_runs_setup_then_test() -> None:
    workflow = _workflow("tests.yaml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    (job,) = workflow["jobs"].values()
    assert job["env"]["CI"] is True
    runs = [step["run"].strip() for step in job["steps"] if "run" in step]
    assert runs == ["script/setup", "script/test"]
    uses = _uses(workflow)
    assert uses["actions/setup-python"]["python-version"] == "3.14"
    assert uses["astral-sh/setup-uv"]["enable-cache"] is True
    assert uses["astral-sh/setup-uv"]["cache-dependency-glob"] == "requirements_test.txt"


def test_release_workflow_attaches_the_hacs_zip() -> None:
    workflow = _workflow("release.yaml")
    assert workflow["on"] == {"release": {"types": ["published"]}}
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write"}
    filename = _json(ROOT / "hacs.json")["filename"]
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs == [
        f'script/release_zip "$TAG" {filename}',
        f'gh release upload "$TAG" {filename} --clobber --repo "$GITHUB_REPOSITORY"',
    ]
    for step in job["steps"]:
        if "run" in step:
            assert step["env"]["TAG"] == "${{ github.event.release.tag_name }}"


def _release_zip(tmp_path: Path, tag: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the project's own script, no shell
        [ROOT / "script" / "release_zip", tag, "scrobbler.zip"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=50,
    )


def test_release_zip_holds_the_integration_at_its_root(tmp_path: Path) -> None:
    manifest_before = (INTEGRATION / "manifest.json").read_text(encoding="utf-8")
    result = _release_zip(tmp_path, "v1.2.3")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "scrobbler.zip") as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    # HACS unpacks the zip into custom_components/scrobbler: no folder around the files.
    expected = {
        path.relative_to(INTEGRATION).as_posix()
        for path in INTEGRATION.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert sorted(names) == sorted(expected)
    assert {"__init__.py", "manifest.json", "translations/en.json"} <= set(names)
    assert manifest == {**_json(INTEGRATION / "manifest.json"), "version": "1.2.3"}
    assert (INTEGRATION / "manifest.json").read_text(encoding="utf-8") == manifest_before


@pytest.mark.parametrize("tag", ["1.2", "latest", "v1.2.3 beta", ""])
def test_release_zip_refuses_a_tag_that_is_no_version(tmp_path: Path, tag: str) -> None:
    result = _release_zip(tmp_path, tag)
    assert result.returncode == 1
    assert "is not a version tag" in result.stderr
    assert not (tmp_path / "scrobbler.zip").exists()
