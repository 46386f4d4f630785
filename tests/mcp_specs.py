"""Spec edits the MCP tests share."""

from __future__ import annotations

from pathlib import Path

import yaml

HEADER = "User"


def mirror_username(root: Path) -> None:
    """Mark every ``username`` parameter of ``root/openapi.yaml`` with ``x-mcp-header``."""
    path = root / "openapi.yaml"
    spec = yaml.safe_load(path.read_text())
    for item in spec["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "username":
                    parameter["schema"]["x-mcp-header"] = HEADER
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def set_x_mcp(root: Path, path: str, method: str, **values: object) -> None:
    """Add ``values`` to the ``x-mcp`` of one operation of ``root/openapi.yaml``."""
    spec_file = root / "openapi.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    operation = spec["paths"][path][method]
    operation["x-mcp"] = {**operation.get("x-mcp", {}), **values}
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
