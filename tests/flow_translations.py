"""Check every flow result and repair issue the tests produce against the translations.

The ``check_flow_translations`` fixture (autouse, in ``tests/conftest.py``) wraps Home
Assistant's ``FlowManager._async_handle_step``, through which every step of every flow goes,
abort reasons raised by Home Assistant's own helpers (``already_in_progress``, ...) included,
and ``IssueRegistry.async_get_or_create``. For each result of a config, options, subentry or
repair flow of this integration it checks what the frontend would look up:

* a form: its title and description (if any) get their placeholders; each error is translated
  and sits on ``base`` or on a field of the form (an error on another key is never shown); each
  field has a label and a description (the quality scale's ``config-flow`` rule);
* a menu: each option is translated;
* a progress step: its ``progress_action`` is translated;
* an abort: its reason is translated by this integration, and also by the domain the result
  names in ``translation_domain`` (the frontend looks there first);
* every translated text gets all of its placeholders from the result, and the flow title gets
  those of the flow's ``title_placeholders``.

A repair issue of this integration needs a title, and a description unless a fix flow repairs
it, with their placeholders.

Problems are collected and fail the test at its end.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.components.repairs import RepairsFlowManager
from homeassistant.config_entries import (
    ConfigEntriesFlowManager,
    ConfigSubentryFlowManager,
    OptionsFlowManager,
)
from homeassistant.data_entry_flow import (
    FlowHandler,
    FlowManager,
    FlowResult,
    FlowResultType,
    section,
)
from homeassistant.helpers import issue_registry as ir
import voluptuous as vol

from custom_components.scrobbler.const import DOMAIN

from .translation_rules import HA_ROOT, placeholders

INTEGRATION = Path(__file__).resolve().parent.parent / "custom_components" / DOMAIN


@cache
def translations(domain: str) -> dict[str, Any]:
    """Return the English translations of an integration, as the frontend gets them."""
    if domain == DOMAIN:
        file = INTEGRATION / "translations" / "en.json"
    else:
        file = HA_ROOT / "components" / domain / "translations" / "en.json"
    return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}


def _get(node: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


class FlowTranslationCheck:
    """Collects what is missing for the flow results seen during a test."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        self.problems: list[str] = []
        self.results: list[FlowResult[Any, Any]] = []

    def _category(
        self, manager: FlowManager[Any, Any, Any], flow: FlowHandler[Any, Any, Any]
    ) -> str | None:
        """Return where the strings of this flow live, or None for flows of other domains."""
        if isinstance(manager, ConfigEntriesFlowManager):
            return "config" if flow.handler == DOMAIN else None
        if isinstance(manager, OptionsFlowManager | ConfigSubentryFlowManager):
            entry_id, subentry_type = (
                flow.handler if isinstance(flow.handler, tuple) else (flow.handler, None)
            )
            entry = flow.hass.config_entries.async_get_entry(entry_id)
            if entry is None or entry.domain != DOMAIN:
                return None
            return "options" if subentry_type is None else f"config_subentries.{subentry_type}"
        if isinstance(manager, RepairsFlowManager) and flow.handler == DOMAIN:
            issue = ir.async_get(flow.hass).async_get_issue(DOMAIN, getattr(flow, "issue_id", ""))
            return None if issue is None else f"issues.{issue.translation_key}.fix_flow"
        return None

    def check_issue(self, issue: ir.IssueEntry) -> None:
        """Check the texts of a repair issue of this integration."""
        if issue.domain != DOMAIN or issue.translation_key is None:
            return
        key = f"issues.{issue.translation_key}"
        self._text(f"{key}.title", issue.translation_placeholders)
        if not issue.is_fixable:
            self._text(f"{key}.description", issue.translation_placeholders)

    def _text(
        self,
        key: str,
        placeholders_given: Mapping[str, Any] | None,
        *,
        required: bool = True,
        domain: str = DOMAIN,
    ) -> None:
        """Check that a text exists (if required) and gets its placeholders."""
        text = _get(translations(domain), key)
        where = f"{domain}: {key}"
        if text is None:
            if required:
                self.problems.append(f"{where} has no translation")
            return
        if not isinstance(text, str):
            self.problems.append(f"{where} is not a text")
            return
        if missing := placeholders(text) - set(placeholders_given or {}):
            self.problems.append(f"{where} gets no value for {sorted(missing)}")

    def check(
        self,
        manager: FlowManager[Any, Any, Any],
        flow: FlowHandler[Any, Any, Any],
        result: FlowResult[Any, Any],
    ) -> None:
        """Check one result of a step."""
        category = self._category(manager, flow)
        if category is None:
            return
        self.results.append(result)
        kind = result["type"]
        given = result.get("description_placeholders")
        step = f"{category}.step.{result.get('step_id')}"
        if title_placeholders := flow.context.get("title_placeholders"):
            self._text(f"{category}.flow_title", title_placeholders, required=False)
        if kind in {FlowResultType.FORM, FlowResultType.MENU, FlowResultType.SHOW_PROGRESS}:
            self._text(f"{step}.title", given, required=False)
            self._text(f"{step}.description", given, required=False)
        if kind is FlowResultType.FORM:
            self._check_form(category, step, result)
        elif kind is FlowResultType.MENU:
            options = result["menu_options"]
            for option in options if isinstance(options, list) else options.keys():
                self._text(f"{step}.menu_options.{option}", given)
        elif kind is FlowResultType.SHOW_PROGRESS:
            self._text(f"{category}.progress.{result['progress_action']}", given)
        elif kind is FlowResultType.ABORT:
            reason = f"{category}.abort.{result['reason']}"
            self._text(reason, given)
            if (domain := result.get("translation_domain")) not in (None, DOMAIN):
                self._text(reason, given, domain=domain)

    def _check_form(self, category: str, step: str, result: FlowResult[Any, Any]) -> None:
        given = result.get("description_placeholders")
        names: set[str] = {"base"}
        for key in _field_keys(result.get("data_schema"), names):
            self._text(f"{step}.{key}", given)
        for field, error in (result.get("errors") or {}).items():
            self._text(f"{category}.error.{error}", given)
            if field not in names:
                self.problems.append(f"{step}: error {error!r} is on {field!r}, not on the form")


def _field_keys(schema: vol.Schema | None, names: set[str], prefix: str = "") -> list[str]:
    """Return the translation keys of the fields of a form; add the field names to names."""
    if schema is None:
        return []
    keys: list[str] = []
    for marker, value in schema.schema.items():
        name = str(marker.schema if isinstance(marker, vol.Marker) else marker)
        names.add(name)
        if isinstance(value, section):
            keys.append(f"{prefix}sections.{name}.name")
            keys += _field_keys(value.schema, names, f"{prefix}sections.{name}.")
            continue
        keys += [f"{prefix}data.{name}", f"{prefix}data_description.{name}"]
    return keys


@contextmanager
def checking_flow_translations() -> Iterator[FlowTranslationCheck]:
    """Check every flow result produced inside the block."""
    check = FlowTranslationCheck()
    original = FlowManager._async_handle_step

    async def handle_step(
        self: FlowManager[Any, Any, Any], flow: FlowHandler[Any, Any, Any], *args: Any
    ) -> FlowResult[Any, Any]:
        result: FlowResult[Any, Any] = await original(self, flow, *args)
        check.check(self, flow, result)
        return result

    original_issue = ir.IssueRegistry.async_get_or_create

    def get_or_create(self: ir.IssueRegistry, *args: Any, **kwargs: Any) -> ir.IssueEntry:
        issue = original_issue(self, *args, **kwargs)
        check.check_issue(issue)
        return issue

    with (
        patch.object(FlowManager, "_async_handle_step", handle_step),
        patch.object(ir.IssueRegistry, "async_get_or_create", get_or_create),
    ):
        yield check
