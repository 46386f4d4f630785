"""The spec as the router: parameters of every location and type coerced and checked, bodies
checked, answers encoded, and every mismatch between the spec and handlers.py stopping
start-up and ``check`` with one line. On a throwaway plugin folder, not the TODO files."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from quart.testing import QuartClient

from plugin import Settings, create_app
from plugin.cli import main
from plugin.live_file import FileProblem
from plugin.operations import OperationsProblem, check_at_startup

from .operations_plugin import HANDLERS, SPEC, make_plugin
from .test_bad_input import assert_envelope

TRACE = {"X-Trace-Id": "abc123"}

Make = Callable[..., Settings]


@pytest.fixture
def make(tmp_path: Path) -> Make:
    def settings(root: Path | None = None, **overrides: Any) -> Settings:
        folder = root or make_plugin(tmp_path / "plugin")
        values: dict[str, Any] = {
            "root": folder,
            "database": str(tmp_path / "plugin.sqlite3"),
            "rate_limit": "off",
            "check_responses": True,
            **overrides,
        }
        return Settings(**values)

    return settings


@pytest.fixture
async def client(make: Make) -> AsyncIterator[QuartClient]:
    app = create_app(make())
    async with app.test_app():
        yield app.test_client()


async def test_parameters_arrive_coerced_with_defaults(client: QuartClient) -> None:
    response = await client.get("/things/7", headers=TRACE)
    assert response.status_code == 200
    assert await response.get_json() == {
        "thing_id": 7,
        "limit": 10,
        "fresh": False,
        "kind": None,
        "tags": None,
        "ids": None,
        "trace": "abc123",
        "score": None,
        "user": None,
    }
    query = "limit=5&fresh=true&kind=tool&tags=a&tags=bb&ids=3,4&score=0.5"
    response = await client.get(f"/things/7?{query}", headers=TRACE)
    given = await response.get_json()
    assert (given["limit"], given["fresh"], given["kind"]) == (5, True, "tool")
    assert (given["tags"], given["ids"], given["score"]) == (["a", "bb"], [3, 4], 0.5)


@pytest.mark.parametrize(
    ("query", "headers", "named", "said"),
    [
        ("limit=x", TRACE, "query parameter 'limit'", "must be an integer"),
        ("limit=51", TRACE, "query parameter 'limit'", "must be at most 50"),
        ("limit=1.0", TRACE, "query parameter 'limit'", "must be an integer"),
        ("fresh=maybe", TRACE, "query parameter 'fresh'", "must be true or false"),
        ("kind=car", TRACE, "query parameter 'kind'", "must be one of 'book', 'tool'"),
        ("tags=a&tags=b&tags=c&tags=d", TRACE, "query parameter 'tags'", "at most 3 items"),
        ("tags=toolong", TRACE, "query parameter 'tags' [0]", "at most 5 characters"),
        ("ids=1,x", TRACE, "query parameter 'ids'", "must be an integer"),
        ("ids=1,-2", TRACE, "query parameter 'ids' [1]", "must be at least 0"),
        ("score=1", TRACE, "query parameter 'score'", "must be less than 1"),
        ("score=nan", TRACE, "query parameter 'score'", "must be a number"),
        ("", {}, "header parameter 'X-Trace-Id'", "is required"),
        ("", {"X-Trace-Id": "XYZ!"}, "header parameter 'X-Trace-Id'", "must match the pattern"),
    ],
)
async def test_a_bad_parameter_is_422_naming_it(
    client: QuartClient, query: str, headers: dict[str, str], named: str, said: str
) -> None:
    response = await client.get(f"/things/7?{query}", headers=headers)
    await assert_envelope(response, 422)
    error = await response.get_json()
    assert error["error"] == "invalid_request"
    assert named in error["error_description"] and said in error["error_description"]


@pytest.mark.parametrize("segment", ["0", "1001", "-1", "abc", "1.5", "٣", "9" * 30])
async def test_a_number_path_segment_out_of_type_or_bounds_names_nothing(
    client: QuartClient, segment: str
) -> None:
    await assert_envelope(await client.get(f"/things/{segment}", headers=TRACE), 404)


async def test_a_text_path_parameter_is_checked(client: QuartClient) -> None:
    body = {"color": "red", "owner": {"name": "ann"}}
    response = await client.put("/labels/Nope", json=body)
    await assert_envelope(response, 422)
    assert "path parameter 'name' must match" in (await response.get_json())["error_description"]


async def test_a_body_arrives_checked_and_a_reply_sets_status_and_headers(
    client: QuartClient,
) -> None:
    body = {"color": "red", "owner": {"name": "ann", "age": 3}, "tags": ["a"]}
    response = await client.put("/labels/mine", json=body)
    assert response.status_code == 201
    assert response.headers["Location"] == "/labels/mine"
    assert await response.get_json() == {"name": "mine", **body}
    taken = await client.put("/labels/taken", json=body)
    await assert_envelope(taken, 409)
    assert (await taken.get_json())["error"] == "conflict"


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"owner": {"name": "ann"}}, "The body needs 'color'"),
        ({"color": "blue", "owner": {"name": "ann"}}, "'color' in the body must be one of"),
        ({"color": "red", "owner": {"name": ""}}, "'owner.name' in the body must not be empty"),
        ({"color": "red", "owner": {"name": "a", "age": -1}}, "'owner.age' in the body must be"),
        ({"color": "red", "owner": {"name": "a", "age": 1.0}}, "'owner.age' in the body must be a"),
        ({"color": "red", "owner": {"name": "a", "pin": 1234}}, "'owner' in the body may not have"),
        ({"color": "red", "owner": {"name": "a"}, "x": 1}, "The body may not have 'x'"),
        ({"color": "red", "owner": {"name": "a"}, "tags": ["a", "a"]}, "'tags' in the body must"),
        (["red"], "The body must be an object"),
    ],
)
async def test_a_body_that_breaks_the_schema_is_422_naming_the_json_path(
    client: QuartClient, body: Any, said: str
) -> None:
    response = await client.put("/labels/mine", json=body)
    await assert_envelope(response, 422)
    description = (await response.get_json())["error_description"]
    assert said in description
    assert "1234" not in description  # the value itself is never echoed


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b'{"color": ', "application/json", 400),
        (b"", "application/json", 400),
        (b'{"color": "red", "color": "green", "owner": {"name": "a"}}', "application/json", 422),
        (b'{"color": "red", "owner": {"name": "a", "age": NaN}}', "application/json", 422),
        (b'{"color": "red", "owner": {"name": "a"}}', "text/plain", 415),
        (b'{"color": "red", "owner": {"name": "a"}}', "application/merge-patch+json", 201),
    ],
)
async def test_malformed_or_mistyped_bodies(
    client: QuartClient, data: bytes, content_type: str, status: int
) -> None:
    response = await client.put("/labels/mine", data=data, headers={"Content-Type": content_type})
    if status == 201:
        assert response.status_code == 201
    else:
        await assert_envelope(response, status)


async def test_unknown_path_is_404_and_another_method_405_with_allow(client: QuartClient) -> None:
    await assert_envelope(await client.get("/nothing", headers=TRACE), 404)
    response = await client.post("/things/7", headers=TRACE)
    await assert_envelope(response, 405)
    assert "GET" in response.headers["Allow"]
    options = await client.options("/labels/a")
    assert options.status_code == 200 and "PUT" in options.headers["Allow"]


async def test_an_answer_that_breaks_the_spec_is_logged_by_path_without_values(
    make: Make, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    code = HANDLERS.replace('"thing_id": thing_id,', '"thing_id": "secret-value",')
    root = make_plugin(tmp_path / "wrong", handlers=code)
    app = create_app(make(root))
    async with app.test_app():
        response = await app.test_client().get("/things/7", headers=TRACE)
    assert response.status_code == 200  # still sent
    [record] = [r for r in caplog.records if r.name == "plugin.operations.answers"]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "getThing (GET /things/{thing_id})" in message
    assert "thing_id must be an integer" in message and "secret-value" not in message
    caplog.clear()  # the mismatch was the point: conftest's check must not fail the test


def missing(handlers: str, name: str) -> str:
    return handlers.replace(f"async def {name}(", f"async def _{name}(")


@pytest.mark.parametrize(
    ("spec", "handlers", "line"),
    [
        (
            SPEC,
            missing(HANDLERS, "putLabel"),
            "openapi.yaml: PUT /labels/{name} (putLabel) has no handler: "
            "define async def putLabel(...) in handlers.py",
        ),
        (
            SPEC,
            HANDLERS + "\n\nasync def deleteLabel(name):\n    return None\n",
            "handlers.py: deleteLabel is not an operationId of openapi.yaml",
        ),
        (
            SPEC,
            HANDLERS.replace("async def putLabel(name, body)", "async def putLabel(name, bdy)"),
            "handlers.py: putLabel takes 'bdy', which PUT /labels/{name} (putLabel) does not "
            "give (it gives: name, body, caller, db)",
        ),
        (
            SPEC,
            HANDLERS.replace("async def putLabel(name, body)", "async def putLabel(**given)"),
            "handlers.py: putLabel takes *given; name each argument it needs",
        ),
        (
            SPEC.replace("X-Trace-Id", "caller"),
            HANDLERS,
            "header parameter 'caller' would be the handler argument 'caller'",
        ),
    ],
)
def test_a_mismatch_stops_start_up_and_check_with_one_line(
    make: Make,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    spec: str,
    handlers: str,
    line: str,
) -> None:
    root = make_plugin(tmp_path / "broken", spec, handlers)
    settings = make(root)
    with pytest.raises(OperationsProblem, match=None) as raised:
        create_app(settings)
    assert line in str(raised.value)
    assert check_at_startup(settings) == 2
    printed = capsys.readouterr().err
    assert printed.startswith("error: ") and line in printed and printed.count("\n") == 1
    assert main(["check", "--root", str(root)]) == 1
    assert line.partition(": ")[2] in capsys.readouterr().out


def test_handlers_that_fail_to_load_stop_start_up_with_the_line(make: Make, tmp_path: Path) -> None:
    root = make_plugin(tmp_path / "raising", handlers=HANDLERS + "\nraise RuntimeError('boom')\n")
    line = HANDLERS.count("\n") + 2
    with pytest.raises(FileProblem, match=rf"handlers\.py:{line}: cannot be loaded: RuntimeError"):
        create_app(make(root))
    (root / "handlers.py").unlink()
    with pytest.raises(FileProblem, match=r"handlers\.py: No such file"):
        create_app(make(root))


def test_proxy_mode_has_no_handlers(make: Make, tmp_path: Path) -> None:
    root = make_plugin(tmp_path / "proxied", handlers=None)
    settings = make(root, upstream="http://127.0.0.1:9")
    assert check_at_startup(settings) == 0
    create_app(settings)
