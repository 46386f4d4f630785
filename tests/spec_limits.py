"""The TODO API's bounds as its spec writes them, so a test follows the one place they live."""

from __future__ import annotations

import yaml

from plugin.config import PROJECT_ROOT

SPEC = yaml.safe_load((PROJECT_ROOT / "openapi.yaml").read_text())
_ADD = SPEC["paths"]["/todos/{username}"]["post"]["requestBody"]["content"]["application/json"]
MAX_TODO_CHARS: int = _ADD["schema"]["properties"]["todo"]["maxLength"]
