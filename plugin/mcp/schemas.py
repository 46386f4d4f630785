"""OpenAPI 3.0/3.1 schemas turned into the self-contained JSON Schema 2020-12 MCP tools carry.

An MCP client sees a tool's schema on its own, without the spec around it: local ``$ref``s
are inlined (a cycle or a reference outside the document becomes the permissive ``{}``),
OpenAPI 3.0's ``nullable`` becomes a ``null`` type, its boolean ``exclusiveMinimum`` /
``exclusiveMaximum`` become the numeric form, and keywords JSON Schema does not know are dropped.
"""

from __future__ import annotations

from typing import Any

__all__ = ["json_schema", "resolve"]

DROPPED = frozenset({"nullable", "discriminator", "xml", "externalDocs", "example"})
SUBSCHEMA = frozenset({"items", "additionalProperties", "not", "contains", "propertyNames"})
SUBSCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
SUBSCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})


def resolve(spec: dict[str, Any], value: Any, seen: frozenset[str] = frozenset()) -> Any:
    """Follow a local ``$ref`` chain; None for a cycle or a reference outside the spec."""
    while isinstance(value, dict) and isinstance(value.get("$ref"), str):
        ref: str = value["$ref"]
        if ref in seen or not ref.startswith("#/"):
            return None
        seen = seen | {ref}
        target: Any = spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return None
            target = target[part]
        value = target
    return value


def json_schema(
    spec: dict[str, Any], schema: Any, seen: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """``schema`` (an OpenAPI schema object, maybe a ``$ref``) as standalone JSON Schema.

    Extensions (``x-...``) are dropped; the tool builder puts back the one MCP defines.
    """
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        target = resolve(spec, schema, seen)
        return json_schema(spec, target, seen | {ref}) if target is not None else {}
    if not isinstance(schema, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in DROPPED or key.startswith("x-"):
            continue
        if key in SUBSCHEMA and isinstance(value, dict):
            out[key] = json_schema(spec, value, seen)
        elif key in SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: json_schema(spec, item, seen) for name, item in value.items()}
        elif key in SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [json_schema(spec, item, seen) for item in value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value and bound in schema:
                out[key] = schema[bound]
        else:
            out[key] = value
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        bound = "minimum" if key == "exclusiveMinimum" else "maximum"
        if schema.get(key) is True:
            out.pop(bound, None)
    if "example" in schema:
        out.setdefault("examples", [schema["example"]])
    if schema.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out
