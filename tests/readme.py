"""The automations of README.md, as documented, for tests that run them."""

from pathlib import Path
import re
from typing import Any

import yaml

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_automation(alias: str, entity_id: str | None = None) -> dict[str, Any]:
    """Return the README's automation with this alias, as documented.

    ``entity_id`` replaces the entity the automation names (in triggers and conditions), for an
    automation the README says works the same on another entity.
    """
    readme = README.read_text(encoding="utf-8")
    found = re.search(
        rf"```yaml\n(automation:\n  - alias: \"{re.escape(alias)}\".*?)```", readme, re.DOTALL
    )
    assert found is not None, alias
    config: dict[str, Any] = yaml.safe_load(found.group(1))
    if entity_id is not None:
        (automation,) = config["automation"]
        for part in (*automation.get("triggers", []), *automation.get("conditions", [])):
            if "entity_id" in part:
                part["entity_id"] = entity_id
    return config
