"""Logs: one access line per request, and never a credential or a query string."""

from __future__ import annotations

import logging
import time

import pytest

from .conftest import SERVICE_TOKEN, MakeClient

SECRET_QUERY = "query-secret-4f9a1c"


async def test_one_line_per_request_and_no_secrets(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = await make_client(auth="service_http", service_token=SERVICE_TOKEN)
    good = {"Authorization": f"Bearer {SERVICE_TOKEN}", "Host": "localhost:5003"}
    wrong = {"Authorization": f"Bearer {SERVICE_TOKEN}-wrong"}
    requests = [
        ("POST", f"/todos/ann?code={SECRET_QUERY}", good, {"todo": "milk"}, 200),
        ("GET", f"/todos/ann?limit=5&token={SECRET_QUERY}", good, None, 200),
        ("GET", f"/todos/ann?token={SECRET_QUERY}", wrong, None, 401),
        ("GET", "/todos/ann", {"Authorization": f"Basic {SERVICE_TOKEN}"}, None, 401),
        ("DELETE", f"/todos/ann?x={SECRET_QUERY}", good, {"todo_idx": 7}, 404),
        ("POST", f"/todos/ann?x={SECRET_QUERY}", good, {"todo": 1}, 422),
        ("GET", f"/.well-known/ai-plugin.json?x={SECRET_QUERY}", good, None, 200),
        ("GET", f"/openapi.yaml?x={SECRET_QUERY}", {"Host": "evil.example"}, None, 400),
        ("GET", f"/nowhere?x={SECRET_QUERY}", good, None, 404),
        ("OPTIONS", f"/todos/ann?x={SECRET_QUERY}", {
            "Origin": "https://chatgpt.com", "Access-Control-Request-Method": "GET"
        }, None, 204),
    ]  # fmt: skip
    caplog.clear()
    for method, path, headers, body, status in requests:
        response = await client.open(path, method=method, headers=headers, json=body)
        assert response.status_code == status, (method, path)
    access = [record for record in caplog.records if record.name == "plugin.access"]
    assert len(access) == len(requests)
    for record, (method, path, _, _, status) in zip(access, requests, strict=True):
        line = record.getMessage()
        assert record.levelno == logging.INFO
        assert f" {method} {path.partition('?')[0]} {status} " in line
    for record in caplog.records:
        text = " ".join(
            [record.getMessage(), repr(record.args), record.exc_text or "", str(record.msg)]
        )
        assert SERVICE_TOKEN not in text, record.name
        assert SECRET_QUERY not in text, record.name


async def test_access_log_off(make_client: MakeClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    client = await make_client(access_log=False)
    await client.get("/todos/ann")
    assert not [record for record in caplog.records if record.name == "plugin.access"]


async def test_access_records_are_whole_log_records(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Access records skip makeRecord; any handler or format must still find every field."""
    caplog.set_level(logging.INFO)
    client = await make_client()
    before = time.time()
    await client.get("/todos/ann")
    (record,) = [record for record in caplog.records if record.name == "plugin.access"]
    assert before <= record.created <= time.time()
    plain = logging.LogRecord("plugin.access", logging.INFO, __file__, 0, "m", (), None)
    assert set(vars(plain)) <= set(vars(record))
    assert abs(record.relativeCreated - plain.relativeCreated) < 5000
    line = logging.Formatter(
        "%(asctime)s.%(msecs)03d %(relativeCreated)d %(levelname)s %(name)s %(module)s "
        "%(funcName)s %(process)d %(message)s"
    ).format(record)
    assert " INFO plugin.access access_log access " in line
    assert " GET /todos/ann 200 " in line
