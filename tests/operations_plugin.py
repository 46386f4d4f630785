"""A small throwaway plugin, unlike the TODO list, for the router's tests: every parameter
location and type, a nested body, and handlers that answer what they were given."""

from __future__ import annotations

import shutil
from pathlib import Path

from plugin.config import PROJECT_ROOT

SPEC = """\
openapi: 3.0.3
info: {title: Things, version: 1.0.0}
servers: [{url: PLUGIN_HOSTNAME}]
paths:
  /things/{thing_id}:
    get:
      operationId: getThing
      summary: One thing, with what the request carried.
      parameters:
        - name: thing_id
          in: path
          required: true
          schema: {type: integer, minimum: 1, maximum: 1000}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 50, default: 10}}
        - {name: fresh, in: query, schema: {type: boolean, default: false}}
        - {name: kind, in: query, schema: {type: string, enum: [book, tool]}}
        - name: tags
          in: query
          schema: {type: array, maxItems: 3, items: {type: string, maxLength: 5}}
        - name: ids
          in: query
          explode: false
          schema: {type: array, items: {type: integer, minimum: 0}}
        - name: X-Trace-Id
          in: header
          required: true
          schema: {type: string, pattern: "^[a-f0-9]{4,16}$"}
        - name: score
          in: query
          schema: {type: number, nullable: true, exclusiveMaximum: true, maximum: 1}
      responses:
        "200":
          description: What the handler was given.
          content:
            application/json:
              schema:
                type: object
                required: [thing_id, limit]
                properties:
                  thing_id: {type: integer}
                  limit: {type: integer}
  /labels/{name}:
    put:
      operationId: putLabel
      summary: Store a label.
      parameters:
        - {name: name, in: path, required: true, schema: {type: string, pattern: "^[a-z]{1,8}$"}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [color, owner]
              properties:
                color: {type: string, enum: [red, green]}
                owner:
                  type: object
                  required: [name]
                  additionalProperties: false
                  properties:
                    name: {type: string, minLength: 1}
                    age: {type: integer, minimum: 0}
                tags: {type: array, items: {type: string}, uniqueItems: true}
      responses:
        "201":
          description: Stored.
          content:
            application/json:
              schema: {type: object, required: [name], properties: {name: {type: string}}}
        "409": {description: Taken.}
"""

HANDLERS = """\
from plugin.api import Caller, Conflict, Reply


async def getThing(thing_id, limit, fresh, kind, tags, ids, x_trace_id, score, caller: Caller):
    return {
        "thing_id": thing_id, "limit": limit, "fresh": fresh, "kind": kind, "tags": tags,
        "ids": ids, "trace": x_trace_id, "score": score, "user": caller.user,
    }


async def putLabel(name, body):
    if name == "taken":
        raise Conflict("That label is taken.")
    return Reply({"name": name, **body}, status=201, headers={"Location": f"/labels/{name}"})
"""


def make_plugin(folder: Path, spec: str = SPEC, handlers: str | None = HANDLERS) -> Path:
    """A plugin folder at ``folder``: the root's manifest and static files, this spec and code."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "manifest.json", folder / "manifest.json")
    for name in ("static", ".well-known"):
        shutil.copytree(PROJECT_ROOT / name, folder / name, dirs_exist_ok=True)
    (folder / "openapi.yaml").write_text(spec)
    if handlers is not None:
        (folder / "handlers.py").write_text(handlers)
    return folder
