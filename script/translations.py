"""Resolve strings.json into translations/en.json, as Home Assistant's translation tooling does.

References look like ``[%key:common::config_flow::abort::already_configured_account%]`` (Home
Assistant's common strings) or ``[%key:component::scrobbler::config::error::cannot_connect%]``.
"""

import argparse
import json
from pathlib import Path
import re
import sys
from typing import Any

import homeassistant

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "scrobbler"
DOMAIN = INTEGRATION.name
REFERENCE = re.compile(r"\[%key:([a-z0-9_:]+)%\]")


def _lookup(sources: dict[str, Any], path: str) -> str:
    node: Any = sources
    for part in path.split("::"):
        if not isinstance(node, dict) or part not in node:
            msg = f"unknown translation reference: {path}"
            raise KeyError(msg)
        node = node[part]
    if not isinstance(node, str):
        msg = f"translation reference is not a string: {path}"
        raise KeyError(msg)
    return node


def resolve(strings: dict[str, Any]) -> dict[str, Any]:
    """Return strings with every reference replaced by its text."""
    common = json.loads((Path(homeassistant.__file__).parent / "strings.json").read_text())
    sources = {**common, "component": {DOMAIN: strings}}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, str):
            text = node
            for _ in range(10):  # references may point at references
                resolved = REFERENCE.sub(lambda m: _lookup(sources, m.group(1)), text)
                if resolved == text:
                    break
                text = resolved
            return text
        return node

    result: dict[str, Any] = walk(strings)
    return result


def render() -> str:
    """Return the text en.json should have."""
    strings = json.loads((INTEGRATION / "strings.json").read_text())
    return json.dumps(resolve(strings), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    """Write or check en.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that en.json is current")
    args = parser.parse_args()
    target = INTEGRATION / "translations" / "en.json"
    text = render()
    if args.check:
        if not target.exists() or target.read_text() != text:
            print("translations/en.json is out of date: run script/translations", file=sys.stderr)
            return 1
        return 0
    target.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
