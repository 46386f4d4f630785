"""The baseline: a plugin server of the shape of openai/plugins-quickstart's ``main.py``.

Quart with quart-cors allowing ``https://chat.openai.com``, todos in an in-memory dict (lost on
restart, nothing written to disk), and the manifest and spec re-read from disk with
``PLUGIN_HOSTNAME`` replaced on every request, as the quickstart does. It reads the same
``manifest.json`` and ``openapi.yaml`` as our server (``PLUGIN_ROOT`` or the repository root).
Run by bench/run.py on the same Hypercorn as ours; not part of the product.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import quart
import quart_cors
from quart import request

ROOT = Path(os.environ.get("PLUGIN_ROOT", Path(__file__).resolve().parent.parent))

app = quart_cors.cors(quart.Quart(__name__), allow_origin="https://chat.openai.com")

_TODOS: dict[str, list[str]] = {}


@app.post("/todos/<string:username>")
async def add_todo(username: str) -> quart.Response:
    body = await request.get_json(force=True)
    _TODOS.setdefault(username, []).append(body["todo"])
    return quart.Response(response="OK", status=200)


@app.get("/todos/<string:username>")
async def get_todos(username: str) -> quart.Response:
    return quart.Response(response=json.dumps(_TODOS.get(username, [])), status=200)


@app.get("/.well-known/ai-plugin.json")
async def plugin_manifest() -> quart.Response:
    host = request.headers["Host"]
    with open(ROOT / "manifest.json") as f:
        text = f.read()
        text = text.replace("PLUGIN_HOSTNAME", f"http://{host}")
        return quart.Response(text, mimetype="text/json")


@app.get("/openapi.yaml")
async def openapi_spec() -> quart.Response:
    host = request.headers["Host"]
    with open(ROOT / "openapi.yaml") as f:
        text = f.read()
        text = text.replace("PLUGIN_HOSTNAME", f"http://{host}")
        return quart.Response(text, mimetype="text/yaml")
