"""What users pick instead for MCP: FastMCP's ``from_openapi`` in front of our running API.

The tools are built from our server's own spec (``BENCH_UPSTREAM``/openapi.json) and each call
goes to it over HTTP with the service token (``BENCH_SERVICE_TOKEN``), as FastMCP's
documentation shows for an existing API. Served stateless with JSON answers (no session, no
SSE), the cheapest way FastMCP offers, so a ``tools/call`` is one POST as on our ``/mcp``.
Run by bench/run.py with uvicorn, from the folder ``make bench`` installs FastMCP into
(requirements/bench-fastmcp.txt); not part of the product.
"""

from __future__ import annotations

import os

import httpx2
from fastmcp import FastMCP

UPSTREAM = os.environ["BENCH_UPSTREAM"]
TOKEN = os.environ["BENCH_SERVICE_TOKEN"]

spec = httpx2.get(f"{UPSTREAM}/openapi.json").json()
client = httpx2.AsyncClient(base_url=UPSTREAM, headers={"Authorization": f"Bearer {TOKEN}"})
app = FastMCP.from_openapi(spec, client=client, name="todos").http_app(
    path="/mcp", json_response=True, stateless_http=True
)
