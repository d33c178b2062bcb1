"""The rules Home Assistant's hassfest applies to strings.json, translations/en.json and icons.json.

hassfest cannot run offline, so the repository tests apply its translation rules here: which
sections and keys a strings file may have, how keys are spelled, what a text may contain (no
HTML, no URLs, no placeholders in quotes or where the frontend fills none, no text around a
reference) and that every reference resolves to a text (one level only).

``check_strings`` and ``check_icons`` return the problems as ``Problem`` values; ``Problem.rule`` tells them apart,
so that a test can look at one rule on its own.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import json
from pathlib import Path
import re
import string
from typing import Any

import homeassistant
from homeassistant.helpers import config_validation as cv

HA_ROOT = Path(homeassistant.__file__).parent

# Sections hassfest accepts at the top of an integration's strings.json.
TOP_LEVEL_SECTIONS = frozenset({
    "title", "config", "config_subentries", "options", "preview_features", "selector",
    "device_automation", "system_health", "config_panel", "application_credentials", "issues",
    "entity_component", "device", "entity", "exceptions", "services", "conditions", "triggers",
    "conversation", "common",
})  # fmt: skip

REFERENCE = re.compile(r"\[%key:([^%\]]+)%\]")
TRANSLATION_KEY = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
HTML_TAG = re.compile(r"<[a-z].*?>", re.IGNORECASE)
QUOTED_PLACEHOLDER = re.compile(r"'\{\w+\}'")
# What hassfest calls a URL: a scheme and a host with a top-level domain of letters, or www.
URL = re.compile(
    r"(?:(?:ftps?|scp|https?|mqtts?|socket|socks5)://|www\.)"
    r"[a-z0-9]+(?:[-.][a-z0-9]+)*\.[a-z]{2,5}(?::\d{1,5})?(?:/\S*)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule at one place of a strings file."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        """Return the place, the rule and what is wrong."""
        return f"{self.path}: {self.message} [{self.rule}]"


type Check = Callable[[str, Any, list[Problem]], None]


def placeholders(text: str) -> set[str]:
    """Return the names of the placeholders of a text (``{name}``)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _placeholder_problems(value: str, *, allow: bool) -> list[tuple[str, str]]:
    try:
        names = placeholders(value)
    except ValueError as err:
        return [("placeholder", f"the braces do not form placeholders ({err})")]
    found = [
        ("placeholder", f"placeholder {{{name}}} is not an identifier")
        for name in sorted(names)
        if not name.isidentifier()
    ]
    if names and not allow:
        found.append(("placeholder", f"placeholders are not filled in here: {sorted(names)}"))
    return found


def _text_problems(value: str, *, allow_placeholders: bool) -> list[tuple[str, str]]:
    """Return the (rule, message) pairs a text breaks."""
    found = _placeholder_problems(value, allow=allow_placeholders)
    if HTML_TAG.search(value):
        found.append(("html", "the text contains HTML"))
    if QUOTED_PLACEHOLDER.search(value):
        found.append(("quoted_placeholder", "a placeholder is inside single quotes"))
    if REFERENCE.search(value) and not REFERENCE.fullmatch(value):
        found.append(("combined_reference", "a reference must be the whole text"))
    if value != value.strip():
        found.append(("whitespace", "the text starts or ends with white space"))
    if url := URL.search(value):
        found.append(
            ("url", f"the text contains a URL ({url.group(0)}): use a description placeholder")
        )
    return found


def _text(*, allow_placeholders: bool = True) -> Check:
    """Check one translated text."""

    def check(path: str, value: Any, problems: list[Problem]) -> None:
        if not isinstance(value, str):
            problems.append(
                Problem(path, "type", f"a text is expected, not {type(value).__name__}")
            )
            return
        problems.extend(
            Problem(path, rule, message)
            for rule, message in _text_problems(value, allow_placeholders=allow_placeholders)
        )

    return check


TEXT = _text()
TEXT_WITHOUT_PLACEHOLDERS = _text(allow_placeholders=False)


def _raw_string(path: str, value: Any, problems: list[Problem]) -> None:
    """Names of service fields are plain strings in hassfest's schema."""
    if not isinstance(value, str):
        problems.append(Problem(path, "type", "a text is expected"))


def _translation_key(key: str) -> str | None:
    if TRANSLATION_KEY.fullmatch(key):
        return None
    return "a key is lowercase letters, digits, - and _, with no - or _ at its ends or doubled"


def _slug(key: str) -> str | None:
    try:
        cv.slug(key)
    except Exception as err:  # noqa: BLE001 (the validator's error type is HA's business)
        return str(err)
    return None


def _slug_or_underscore(key: str) -> str | None:
    return None if key == "_" else _slug(key)


def _any_key(key: str) -> str | None:
    return None


def _mapping(value_check: Check, key_rule: Callable[[str], str | None] = _any_key) -> Check:
    """Check a mapping whose keys follow key_rule and whose values follow value_check."""

    def check(path: str, value: Any, problems: list[Problem]) -> None:
        if not isinstance(value, Mapping):
            problems.append(Problem(path, "type", "a mapping is expected"))
            return
        for key, item in value.items():
            if message := key_rule(key):
                problems.append(Problem(f"{path}.{key}", "key", message))
            value_check(f"{path}.{key}", item, problems)

    return check


def _fields(
    fields: Mapping[str, Check],
    *,
    required: frozenset[str] = frozenset(),
    removed: Mapping[str, str] | None = None,
) -> Check:
    """Check a mapping with a fixed set of allowed keys."""

    def check(path: str, value: Any, problems: list[Problem]) -> None:
        if not isinstance(value, Mapping):
            problems.append(Problem(path, "type", "a mapping is expected"))
            return
        problems.extend(
            Problem(path, "required", f"{key!r} is required")
            for key in sorted(required - set(value))
        )
        for key, item in value.items():
            if removed and key in removed:
                problems.append(Problem(f"{path}.{key}", "removed", removed[key]))
            elif key not in fields:
                problems.append(Problem(f"{path}.{key}", "section", f"{key!r} is not allowed here"))
            else:
                fields[key](f"{path}.{key}", item, problems)

    return check


def _all_of(*checks: Check) -> Check:
    def check(path: str, value: Any, problems: list[Problem]) -> None:
        for one in checks:
            one(path, value, problems)

    return check


def _descriptions_have_fields(path: str, value: Any, problems: list[Problem]) -> None:
    """Each data_description of a step describes a field of its data."""
    if not isinstance(value, Mapping):
        return
    for step_id, step in (value.get("step") or {}).items():
        if not isinstance(step, Mapping):
            continue
        problems.extend(
            Problem(
                f"{path}.step.{step_id}.data_description.{key}",
                "data_description",
                "describes a field that is not in data",
            )
            for key in sorted(set(step.get("data_description", {})) - set(step.get("data", {})))
        )


TEXTS = _mapping(TEXT)

_SECTION = _fields({"data": TEXTS, "data_description": TEXTS, "description": TEXT, "name": TEXT})
_STEP = _fields({
    "title": TEXT, "description": TEXT, "data": TEXTS, "data_description": TEXTS,
    "menu_options": TEXTS, "menu_option_descriptions": TEXTS, "submit": TEXT,
    "sections": _mapping(_SECTION),
})  # fmt: skip
_FLOW_FIELDS: dict[str, Check] = {
    "flow_title": TEXT,
    "step": _mapping(_STEP),
    "error": TEXTS,
    "abort": TEXTS,
    "progress": TEXTS,
    "create_entry": TEXTS,
    "initiate_flow": _fields({"user": TEXT}, required=frozenset({"user"})),
}
_TITLE_MOVED = "the title of an integration lives at the top of strings.json, not in config"


def _flow(*, subentry: bool = False, title_removed: bool = False) -> Check:
    fields = dict(_FLOW_FIELDS)
    required = frozenset({"step"})
    if subentry:
        fields["entry_type"] = TEXT
        fields["initiate_flow"] = _all_of(
            _fields({"user": TEXT}, required=frozenset({"user"})), _mapping(TEXT)
        )
        required |= {"entry_type", "initiate_flow"}
    return _all_of(
        _fields(
            fields,
            required=required,
            removed={"title": _TITLE_MOVED} if title_removed else None,
        ),
        _descriptions_have_fields,
    )


def _entity(fields: dict[str, Check], attribute_fields: dict[str, Check], states: Check) -> Check:
    """Check what an entity translation key has: fields, states, attributes and their states."""
    attribute = _fields({**attribute_fields, "state": states})
    return _fields(
        {**fields, "state": states, "state_attributes": _mapping(attribute, _translation_key)}
    )


_STATES = _mapping(TEXT_WITHOUT_PLACEHOLDERS, _translation_key)
_ENTITY = _entity(
    {"name": TEXT, "unit_of_measurement": TEXT_WITHOUT_PLACEHOLDERS},
    {"name": TEXT_WITHOUT_PLACEHOLDERS},
    _STATES,
)
_SERVICE_FIELD = _fields(
    {"name": _raw_string, "description": TEXT, "example": TEXT},
    required=frozenset({"name", "description"}),
)
_SERVICE = _fields(
    {
        "name": TEXT,
        "description": TEXT,
        "fields": _mapping(_SERVICE_FIELD, _translation_key),
        "sections": _mapping(
            _fields({"name": _raw_string, "description": TEXT}, required=frozenset({"name"})),
            _translation_key,
        ),
    },
    required=frozenset({"name", "description"}),
)


def _issue(path: str, value: Any, problems: list[Problem]) -> None:
    _fields(
        {"title": TEXT, "description": TEXT, "fix_flow": _flow()}, required=frozenset({"title"})
    )(path, value, problems)
    if isinstance(value, Mapping) and ("description" in value) == ("fix_flow" in value):
        problems.append(Problem(path, "issue", "an issue has a description or a fix_flow"))


def _generic(path: str, value: Any, problems: list[Problem]) -> None:
    """Sections this integration does not use: every text still follows the text rules."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _generic(f"{path}.{key}", item, problems)
    else:
        TEXT(path, value, problems)


_SECTIONS: dict[str, Check] = dict.fromkeys(TOP_LEVEL_SECTIONS, _generic) | {
    "title": TEXT,
    "config": _flow(title_removed=True),
    "config_subentries": _mapping(_flow(subentry=True), _slug_or_underscore),
    "options": _flow(),
    "selector": _mapping(
        _fields({
            "options": _mapping(TEXT, _translation_key),
            "choices": _mapping(TEXT, _translation_key),
            "unit_of_measurement": _mapping(TEXT, _translation_key),
            "fields": _generic,
        }),
        _slug_or_underscore,
    ),
    "issues": _mapping(_issue),
    "device": _mapping(_fields({"name": TEXT}), _translation_key),
    "entity": _mapping(_mapping(_ENTITY, _translation_key), _slug),
    "exceptions": _mapping(_fields({"message": TEXT}), _slug),
    "services": _mapping(_SERVICE, _translation_key),
}  # fmt: skip
_STRINGS = _fields(_SECTIONS)


def _references(node: Any, path: str) -> list[tuple[str, str]]:
    if isinstance(node, Mapping):
        return [ref for key, item in node.items() for ref in _references(item, f"{path}.{key}")]
    if isinstance(node, str) and (match := REFERENCE.fullmatch(node)):
        return [(path, match.group(1))]
    return []


def _lookup(ref: str, domain: str, strings: Mapping[str, Any]) -> Any:
    """Return what a reference points at, or None."""
    parts = ref.split("::")
    if parts[0] == "component" and len(parts) > 1:
        if parts[1] == domain:
            node: Any = strings
        else:
            file = HA_ROOT / "components" / parts[1] / "strings.json"
            node = json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None
        parts = parts[2:]
    else:
        node = json.loads((HA_ROOT / "strings.json").read_text(encoding="utf-8"))
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def check_strings(
    strings: Mapping[str, Any], domain: str, *, name: str = "strings.json"
) -> list[Problem]:
    """Return the problems of a strings file (strings.json or a resolved translations file)."""
    problems: list[Problem] = []
    _STRINGS(name, strings, problems)
    for path, ref in _references(strings, name):
        target = _lookup(ref, domain, strings)
        if not isinstance(target, str):
            problems.append(Problem(path, "reference", f"{ref} does not lead to a text"))
        elif REFERENCE.fullmatch(target):
            problems.append(
                Problem(path, "reference", f"{ref} is a reference itself: point at its target")
            )
    return problems


def _icon(path: str, value: Any, problems: list[Problem]) -> None:
    if not isinstance(value, str) or not value.startswith("mdi:") or HTML_TAG.search(value):
        problems.append(Problem(path, "icon", "an icon is a Material Design Icon: mdi:name"))


_ENTITY_ICONS = _entity(
    {"default": _icon, "range": _mapping(_icon)},
    {"default": _icon},
    _mapping(_icon, _translation_key),
)


def _service_icon(path: str, value: Any, problems: list[Problem]) -> None:
    if isinstance(value, str):
        _icon(path, value, problems)
    else:
        _fields(
            {"service": _icon, "sections": _mapping(_icon, _translation_key)},
            required=frozenset({"service"}),
        )(path, value, problems)


_ICONS = _fields(
    {
        "entity": _mapping(_mapping(_ENTITY_ICONS, _translation_key), _slug),
        "services": _mapping(_service_icon, _translation_key),
        "entity_component": _generic,
    }
)


def check_icons(icons: Mapping[str, Any]) -> list[Problem]:
    """Return the problems of an icons.json, by hassfest's rules."""
    problems: list[Problem] = []
    _ICONS("icons.json", icons, problems)
    return problems
