"""Hostile JSON at every JSON endpoint, through the app (fast): ``/mcp`` in both eras, the
OAuth token, revocation and registration endpoints, and the API's JSON bodies.

Lone surrogates (escaped, and as raw bytes), nesting past any parser's patience, numbers no
double or ``int`` holds, ``NaN``, repeated names, wrong types, random structure and mutations of
valid messages: every answer is the endpoint's own protocol error (a JSON-RPC error object, RFC
6749's or RFC 7591's ``error``, the API's envelope) or a success, never a 5xx, never a traceback
in the log, and a refused request stores nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart.testing import QuartClient

from plugin import Settings, create_app
from plugin.accounts import add_client
from plugin.mcp.calls import tool_result
from plugin.mcp.protocol import result_body
from plugin.oauth.clients import new_client
from plugin.state import app_state
from plugin.storage import Store
from plugin.strict_json import NotJSON, parse

from .mcp_specs import HEADER, mirror_username
from .test_mcp_endpoint import message as rpc
from .userauth.support import EXACT_URI, authorize_params, csrf_token, sign_in_form

# ---- bodies a JSON encoder would never write


@dataclass(frozen=True)
class Raw:
    """JSON text sent as is: numbers ``json.dumps`` cannot write or will not write as JSON."""

    text: str


@dataclass(frozen=True)
class Pairs:
    """An object whose names may repeat."""

    items: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Deep:
    """``inner`` inside ``levels`` arrays or objects, rendered without recursion."""

    levels: int
    inner: Any
    opener: str


CLOSERS = {"[": "]", '{"a":': "}"}


def render(value: Any, ascii: bool) -> str:
    """JSON text; without ``ascii`` a surrogate is written as itself (raw bytes once encoded)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Deep):
        inner = render(value.inner, ascii)
        return value.opener * value.levels + inner + CLOSERS[value.opener] * value.levels
    if isinstance(value, list):
        return "[" + ",".join(render(item, ascii) for item in value) + "]"
    if isinstance(value, dict | Pairs):
        items = value.items if isinstance(value, Pairs) else value.items()
        pairs = (f"{json.dumps(name, ensure_ascii=ascii)}:{render(v, ascii)}" for name, v in items)
        return "{" + ",".join(pairs) + "}"
    return json.dumps(value, ensure_ascii=ascii)


def encode(value: Any, ascii: bool) -> bytes:
    return render(value, ascii).encode("utf-8", "surrogatepass")


def form_encode(value: Any, ascii: bool) -> bytes:
    """A form body of the object's parameters (each value as its text), else the JSON text."""
    if not isinstance(value, dict | Pairs):
        return encode(value, ascii)
    items = value.items if isinstance(value, Pairs) else value.items()

    def text(part: Any) -> bytes:
        raw = (part if isinstance(part, str) else render(part, True)).encode(
            "utf-8", "surrogatepass"
        )
        return quote(raw, safe="").encode() if ascii else raw  # unescaped: raw bytes in the body

    return b"&".join(text(name) + b"=" + text(item) for name, item in items)


SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\udc80\ud800"]
ODD_TEXTS = ["", "\x00", "a\x00b", "x" * 5000, "http://[", "https://[::1", "https://a:x/", "é"]
NUMBERS = [
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    "-Infinity",
    "9" * 5000,
    "9" * 4300,
    "1e-400",
    "-0",
    "-0.0",
    str(2**63),
    str(-(2**63) - 1),
    str(10**30),
]
LEVELS = [63, 64, 65, 1000, 12_000]  # 12,000 objects still fit in the 64 KiB a body may have

surrogate_texts = st.builds(
    lambda head, surrogate, tail: head + surrogate + tail,
    st.text(max_size=6),
    st.sampled_from(SURROGATES),
    st.text(max_size=6),
)
odd_numbers = st.sampled_from(NUMBERS).map(Raw)
hostile = surrogate_texts | odd_numbers  # what no valid message holds
texts = st.text(max_size=12) | surrogate_texts | st.sampled_from(ODD_TEXTS)
numbers = st.integers() | st.floats(allow_nan=False, allow_infinity=False) | odd_numbers
scalars = st.none() | st.booleans() | numbers | texts


def buried(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Deep]:
    return st.builds(Deep, st.sampled_from(LEVELS), inner, st.sampled_from(list(CLOSERS)))


values = st.recursive(
    scalars | buried(scalars),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(texts, inner, max_size=3)
        | st.lists(st.tuples(texts, inner), max_size=3).map(lambda items: Pairs(tuple(items)))
    ),
    max_leaves=8,
)


Where = tuple[str | int, ...]


def places(value: Any, path: Where = ()) -> list[Where]:
    """The path to every value inside ``value``, ``value`` itself first."""
    found = [path]
    if isinstance(value, dict):
        for name, item in value.items():
            found += places(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += places(item, (*path, index))
    return found


def edit(value: Any, path: Where, change: Callable[[Any], Any]) -> Any:
    if not path:
        return change(value)
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: edit(value[head], rest, change)}
    return [edit(item, rest, change) if index == head else item for index, item in enumerate(value)]


def at(value: Any, path: Where) -> Any:
    for part in path:
        value = value[part]
    return value


@st.composite
def mutations(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with one or two of its parts replaced, spliced, buried, dropped or repeated."""
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(places(value)))
        old = at(value, path)
        options = hostile | buried(st.just(old)) | values
        if isinstance(old, str):  # the text kept otherwise valid, so it gets further in
            spliced = st.builds(
                lambda where, bad, text=old: text[:where] + bad + text[where:],
                st.integers(0, len(old)),
                st.sampled_from([*SURROGATES, "\x00"]),
            )
            options = spliced | spliced | options
        if isinstance(old, dict) and old:
            name = draw(st.sampled_from(sorted(old)))
            options |= st.just({key: item for key, item in old.items() if key != name})
            options |= values.map(lambda extra, d=old, n=name: Pairs((*d.items(), (n, extra))))
        new = draw(options)
        value = edit(value, path, lambda _, new=new: new)
        if not isinstance(value, dict | list):
            break
    return value


@dataclass(frozen=True)
class Base:
    """A valid message and the headers it goes with."""

    value: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    value: Any  # what was encoded (Raw for bytes that are no JSON at all)
    body: bytes
    headers: dict[str, str]


KINDS = ["mutated"] * 6 + ["valid", "random", "cut", "bytes"]


@st.composite
def sent(draw: st.DrawFn, bases: list[Base], form: bool = False) -> Sent:
    """A base mutated (mostly), as it is, replaced by random JSON, cut short, or random bytes."""
    base = draw(st.sampled_from(bases))
    kind = draw(st.sampled_from(KINDS))
    if kind == "cut":
        return Sent(Raw(""), encode(base.value, True)[: -draw(st.integers(1, 30))], base.headers)
    if kind == "bytes":
        return Sent(Raw(""), draw(st.binary(max_size=24)), base.headers)
    value = {"mutated": mutations(base.value), "valid": st.just(base.value), "random": values}
    chosen = draw(value[kind])
    ascii = draw(st.booleans())
    return Sent(chosen, (form_encode if form else encode)(chosen, ascii), base.headers)


# ---- what each protocol must answer


def strict(body: bytes) -> Any:
    """The answer as JSON that any client can read: UTF-8, no NaN, no lone surrogate."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in an answer")

    value = json.loads(body.decode("utf-8"), parse_constant=refuse)
    json.dumps(value, ensure_ascii=False, allow_nan=False).encode()  # no surrogate inside
    return value


def request_id(value: Any) -> Any:
    """The id a server may answer with: what the message's ``id`` means as JSON."""
    found = value.get("id") if isinstance(value, dict) else None
    if isinstance(found, Raw):
        try:
            return json.loads(found.text)
        except ValueError:  # more digits than an int may have: no id can be read
            return None
    return found


def check_rpc(status: int, body: bytes, sent: Sent) -> bool:
    """A JSON-RPC answer with the right id; True if it may have changed something."""
    assert status in (200, 202, 400, 404, 413), (status, body)
    if status == 202:
        assert body == b""
        return False
    answer = strict(body)
    assert answer["jsonrpc"] == "2.0" and ("result" in answer) != ("error" in answer), answer
    if "error" in answer:
        error = answer["error"]
        assert type(error["code"]) is int and isinstance(error["message"], str), error
        if error["code"] == -32700:  # the id could not be read
            assert answer["id"] is None
        else:
            assert answer["id"] in (None, request_id(sent.value)), (answer, sent.value)
        return False
    assert status == 200 and type(answer["id"]) is type(request_id(sent.value))
    assert answer["id"] == request_id(sent.value)
    return answer["result"].get("isError") is not True


def check_envelope(body: bytes, errors: Iterable[str]) -> None:
    answer = strict(body)
    assert set(answer) == {"error", "error_description"}, answer
    assert answer["error"] in errors, answer
    assert isinstance(answer["error_description"], str) and answer["error_description"]


def check_api(status: int, body: bytes, sent: Sent) -> bool:
    assert status in (200, 400, 404, 413, 422), (status, body)
    if status == 200:
        strict(body)
        return True
    check_envelope(body, ("bad_request", "not_found", "payload_too_large", "invalid_request"))
    return False


TOKEN_ERRORS = (
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "invalid_scope",
    "invalid_target",
    "unsupported_grant_type",
    "payload_too_large",
)


def check_token(status: int, body: bytes, sent: Sent) -> bool:
    assert status in (200, 400, 401, 413), (status, body)
    if status == 200:
        return True
    check_envelope(body, TOKEN_ERRORS)
    return False


def check_revoke(status: int, body: bytes, sent: Sent) -> bool:
    assert status in (200, 400, 401, 413), (status, body)
    if status == 200:
        assert body == b""
        return True
    check_envelope(body, TOKEN_ERRORS)
    return False


def check_register(status: int, body: bytes, sent: Sent) -> bool:
    assert status in (201, 400, 413), (status, body)
    if status == 201:
        strict(body)
        return True
    check_envelope(body, ("invalid_client_metadata", "invalid_redirect_uri", "payload_too_large"))
    return False


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    failures = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not failures, [record.getMessage() for record in failures]


# ---- the endpoints and their valid messages

LEGACY = {"MCP-Protocol-Version": "2025-11-25"}
MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
}
ADD = {"name": "addTodo", "arguments": {"username": "ann", "todo": "milk"}}
DELETE = {"name": "deleteTodo", "arguments": {"username": "ann", "todo_idx": 0}}
GET = {"name": "getTodos", "arguments": {"username": "ann", "limit": 5, "offset": 0}}


def legacy(method: str, params: dict[str, Any] | None = None, id: Any = 1) -> Base:
    return Base(rpc(method, params, id), LEGACY)


def modern(method: str, params: dict[str, Any] | None = None, id: Any = 1) -> Base:
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if params is not None:
        headers["Mcp-Name"] = params["name"]
        headers[f"Mcp-Param-{HEADER}"] = params["arguments"]["username"]
    return Base(rpc(method, {**(params or {}), "_meta": META}, id), headers)


MCP_BASES = {
    "2025-11-25": [
        legacy(
            "initialize",
            {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t"}},
        ),
        legacy("ping", id="p-1"),
        legacy("tools/list"),
        legacy("tools/call", ADD),
        legacy("tools/call", DELETE, id="d-1"),
        legacy("tools/call", GET),
        legacy("notifications/initialized", id=None),
    ],
    MODERN: [
        modern("server/discover"),
        modern("tools/list", id="l-1"),
        modern("tools/call", ADD),
        modern("tools/call", DELETE, id="d-1"),
        modern("tools/call", GET),
    ],
}
API_BASES = {"POST": [Base({"todo": "milk"})], "DELETE": [Base({"todo_idx": 0})]}

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,  # the same examples on every run; the app and database live for the test
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def for_each_endpoint(table: dict[str, Any]) -> Callable[[Any], Any]:
    """A property test drawing ``data``, once per ``endpoint`` of ``table``."""

    def decorate(test: Any) -> Any:
        return pytest.mark.parametrize("endpoint", list(table))(
            SETTINGS(given(data=st.data())(test))
        )

    return decorate


@pytest.fixture
async def plain(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> AsyncIterator[QuartClient]:
    """The app without auth, ``username`` mirrored in ``Mcp-Param-User``; ann has todos."""
    mirror_username(plugin_root)
    app = create_app(make_settings(root=plugin_root))
    async with app.test_app():
        client = app.test_client()
        for text in ("milk", "eggs", "bread"):
            assert (await client.post("/todos/ann", json={"todo": text})).status_code == 200
        yield client


async def todos(client: QuartClient) -> Any:
    return await (await client.get("/todos/ann?limit=500")).get_json()


async def exchange(
    client: QuartClient, path: str, method: str, sent: Sent, form: bool = False
) -> tuple[int, bytes]:
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    response = await client.open(
        path,
        method=method,
        data=sent.body,
        headers={"Content-Type": content_type, **sent.headers},
    )
    return response.status_code, await response.get_data()


Check = Callable[[int, bytes, Sent], bool]


async def throw(
    client: QuartClient,
    path: str,
    method: str,
    body: Sent,
    check: Check,
    stored: Callable[[], Awaitable[Any]],
    form: bool = False,
) -> None:
    """Send ``body``: ``check`` judges the answer, and a refusal must leave ``stored()`` as is."""
    before = await stored()
    status, answer = await exchange(client, path, method, body, form)
    if not check(status, answer, body):
        assert await stored() == before


PLAIN = {
    **{f"mcp {era}": ("/mcp", "POST", bases, check_rpc) for era, bases in MCP_BASES.items()},
    **{
        f"{method} /todos": ("/todos/ann", method, bases, check_api)
        for method, bases in API_BASES.items()
    },
}


@for_each_endpoint(PLAIN)
async def test_mcp_and_the_api_answer_hostile_json_with_their_own_errors(
    plain: QuartClient, caplog: pytest.LogCaptureFixture, endpoint: str, data: st.DataObject
) -> None:
    path, method, bases, check = PLAIN[endpoint]
    await throw(plain, path, method, data.draw(sent(bases)), check, lambda: todos(plain))
    no_tracebacks(caplog)


@dataclass
class OAuthWorld:
    """The app in ``oauth`` mode with a confidential and a public client."""

    client: QuartClient
    store: Store
    client_id: str
    secret: str
    public_id: str

    async def clients(self) -> int:
        return len(await self.store.list_oauth_clients())

    def bases(self, endpoint: str) -> list[Base]:
        confidential = {"client_id": self.client_id, "client_secret": self.secret}
        if endpoint == "revoke":
            return [
                Base({"token": "t0ken", **confidential}),
                Base({"token": "t0ken", "token_type_hint": "refresh_token", **confidential}),
                Base({"token": "t0ken", "client_id": self.public_id}),
            ]
        if endpoint == "register":
            return [
                Base({"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}),
                Base(
                    {
                        "redirect_uris": [EXACT_URI, CALLBACK],
                        "token_endpoint_auth_method": "client_secret_post",
                        "grant_types": ["authorization_code", "refresh_token"],
                        "response_types": ["code"],
                        "scope": "",
                        "client_name": "x",
                    }
                ),
            ]
        code = {"grant_type": "authorization_code", "code": "c0de", "redirect_uri": EXACT_URI}
        refresh = {"grant_type": "refresh_token", "refresh_token": "r", "scope": ""}
        return [
            Base({**code, **confidential}),
            Base({**code, "client_id": self.public_id, "code_verifier": "v" * 43}),
            Base({**code, **confidential, "resource": "http://localhost/mcp"}),
            Base({**refresh, **confidential, "resource": "http://localhost"}),
        ]


CALLBACK = "http://127.0.0.1:33333/callback"


@pytest.fixture
async def oauth_world(make_settings: Callable[..., Settings]) -> AsyncIterator[OAuthWorld]:
    # Hundreds of bodies with wrong client credentials from one address: the failed
    # authentication budget would answer them 429 before their JSON is read.
    app = create_app(
        make_settings(
            auth="oauth", oauth_registrations_per_address=100_000, rate_limit_failed_auth="off"
        )
    )
    async with app.test_app():
        store = app_state(app).open_store
        confidential = await add_client(store, [EXACT_URI], False)
        assert confidential.secret is not None
        public = new_client([CALLBACK], 0, public=True, dynamic=True).client
        assert await store.add_oauth_client(public)
        yield OAuthWorld(
            app.test_client(),
            store,
            confidential.client.client_id,
            confidential.secret,
            public.client_id,
        )


OAUTH = {
    "token json": ("/oauth/token", "token", False, check_token),
    "token form": ("/oauth/token", "token", True, check_token),
    "revoke json": ("/oauth/revoke", "revoke", False, check_revoke),
    "revoke form": ("/oauth/revoke", "revoke", True, check_revoke),
    "register": ("/oauth/register", "register", False, check_register),
}


@for_each_endpoint(OAUTH)
async def test_oauth_answers_hostile_json_with_its_own_errors(
    oauth_world: OAuthWorld, caplog: pytest.LogCaptureFixture, endpoint: str, data: st.DataObject
) -> None:
    path, name, form, check = OAUTH[endpoint]
    body = data.draw(sent(oauth_world.bases(name), form))
    await throw(oauth_world.client, path, "POST", body, check, oauth_world.clients, form)
    no_tracebacks(caplog)


# ---- the known payloads, one by one

LONE = "\ud800"
HOSTILE_BODIES = {  # name: the JSON text of a value no request may carry
    "escaped surrogate": '"a\\ud800b"',
    "escaped low surrogate": '"\\udc00"',
    "deep array": "[" * 100 + "]" * 100,
    "deep object": '{"a":' * 2000 + "1" + "}" * 2000,
    "1e400": "1e400",
    "NaN": "NaN",
    "-Infinity": "-Infinity",
    "10**5000": "9" * 5000,
}


def with_value(template: Any, text: str) -> bytes:
    """``template`` as JSON, with the JSON text ``text`` in place of its ``LONE`` placeholder
    (a surrogate inside ``text`` itself goes out as its raw bytes)."""
    body = render(template, True).replace('"\\ud800"', text)
    return body.encode("utf-8", "surrogatepass")


RAW_SURROGATE = '"a' + LONE + 'b"'  # after encoding: b'"a\xed\xa0\x80b"'
ALL_BODIES = {**HOSTILE_BODIES, "raw surrogate": RAW_SURROGATE}


def mcp_message(era: str, method: str, params: dict[str, Any], id: Any = 1) -> Base:
    if era == MODERN:
        headers = {
            "MCP-Protocol-Version": MODERN,
            "Mcp-Method": method.encode("ascii", "replace").decode(),
        }
        meta = {**META, **params.get("_meta", {})}
        return Base(rpc(method, {**params, "_meta": meta}, id), headers)
    return Base(rpc(method, params, id), LEGACY)


MCP_PLACES = {
    "id": lambda era: mcp_message(era, "tools/list", {}, LONE),
    "method": lambda era: mcp_message(era, LONE, {}),
    "tool name": lambda era: mcp_message(era, "tools/call", {"name": LONE, "arguments": {}}),
    "argument": lambda era: mcp_message(
        era, "tools/call", {"name": "addTodo", "arguments": {"username": "ann", "todo": LONE}}
    ),
    "argument name": lambda era: mcp_message(
        era,
        "tools/call",
        {"name": "addTodo", "arguments": {"username": "ann", "todo": "x", LONE: 1}},
    ),
    "_meta": lambda era: mcp_message(era, "tools/list", {"_meta": {"x": LONE}}),
    "params": lambda era: mcp_message(era, "tools/list", {"cursor": LONE}),
    "protocolVersion": lambda era: mcp_message(era, "initialize", {"protocolVersion": LONE}),
}


@pytest.mark.parametrize("era", list(MCP_BASES))
async def test_mcp_refuses_each_known_payload_anywhere_as_a_parse_error(
    plain: QuartClient, caplog: pytest.LogCaptureFixture, era: str
) -> None:
    before = await todos(plain)
    for place, build in MCP_PLACES.items():
        base = build(era)
        for name, text in ALL_BODIES.items():
            message = Sent(base.value, with_value(base.value, text), base.headers)
            status, body = await exchange(plain, "/mcp", "POST", message)
            assert status == 400, (place, name, body)
            answer = strict(body)
            assert answer["id"] is None and answer["error"]["code"] == -32700, (place, answer)
    assert await todos(plain) == before
    no_tracebacks(caplog)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/list"}', "'method' is repeated"),
        (b'{"jsonrpc":"2.0","id":"\xed\xa0\x80","method":"ping"}', "not UTF-8"),
        (b'{"jsonrpc":"2.0","id":"\xff","method":"ping"}', "not UTF-8"),
        (b'{"jsonrpc":"2.0","id":1,"method":"ping","params":' + b"[" * 70 + b"]" * 70 + b"}", "64"),
        (b'{"jsonrpc":"2.0","id":Infinity,"method":"ping"}', "not finite"),
        (b'{"jsonrpc":"2.0","id":' + b"1" * 4301 + b',"method":"ping"}', "out of range"),
    ],
)
async def test_mcp_says_why_a_body_is_refused(plain: QuartClient, body: bytes, reason: str) -> None:
    status, answer = await exchange(plain, "/mcp", "POST", Sent(None, body, LEGACY))
    error = strict(answer)["error"]
    assert status == 400 and error["code"] == -32700 and reason in error["message"], error


async def test_mcp_takes_valid_pairs_a_bom_and_the_deepest_nesting_allowed(
    plain: QuartClient,
) -> None:
    arguments = '{"username":"ann","todo":"\\ud83d\\ude00","x":' + "[" * 61 + "]" * 61 + "}"
    message = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"addTodo",'
    body = b"\xef\xbb\xbf" + f'{message}"arguments":{arguments}}}}}'.encode()
    status, answer = await exchange(plain, "/mcp", "POST", Sent(None, body, LEGACY))
    assert status == 200, answer
    assert strict(answer)["result"]["structuredContent"]["todo"] == "\U0001f600"
    assert (await todos(plain))["todos"][-1] == "\U0001f600"


async def test_an_origin_that_is_no_url_is_forbidden(plain: QuartClient) -> None:
    for origin in ("http://[", "https://[::1", "http://[x]:1"):
        response = await plain.post("/mcp", json=rpc("ping"), headers={"Origin": origin})
        assert response.status_code == 403
        assert (await response.get_json())["error"]["code"] == -32600


@pytest.mark.parametrize(
    "body",
    [b'{"todos": ["\\ud800"]}', b'{"n": NaN}', b'{"a": "\xed\xa0\x80"}', b"[" * 100 + b"]" * 100],
)
def test_an_answer_json_cannot_carry_is_text_without_structured_content(body: bytes) -> None:
    """An upstream API (proxy mode) may answer anything; the MCP answer must still encode."""
    result = tool_result(200, body, "application/json")
    assert "structuredContent" not in result and result["isError"] is False
    strict(result_body(1, result))


TOKEN_PARAMETERS = [
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_secret",
    "code_verifier",
    "refresh_token",
    "resource",
    "scope",
]
REVOKE_PARAMETERS = ["token", "token_type_hint", "client_id", "client_secret"]
OAUTH_PARAMETERS = [
    *(("/oauth/token", "token", name) for name in TOKEN_PARAMETERS),
    *(("/oauth/revoke", "revoke", name) for name in REVOKE_PARAMETERS),
]


async def test_oauth_refuses_each_known_payload_in_each_parameter(
    oauth_world: OAuthWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """JSON: ``invalid_request``, before any client is looked up or any secret hashed."""
    for path, endpoint, name in OAUTH_PARAMETERS:
        for base in oauth_world.bases(endpoint):
            template = {**base.value, name: LONE}
            for label, text in ALL_BODIES.items():
                sent_body = Sent(template, with_value(template, text), {})
                status, body = await exchange(oauth_world.client, path, "POST", sent_body)
                assert status == 400, (path, name, label, body)
                check_envelope(body, ["invalid_request"])
    no_tracebacks(caplog)


FORM_VALUES = [  # the form's value and the errors it may answer
    *((value, TOKEN_ERRORS) for value in (b"a%ED%A0%80b", b"a%00b", b"\x00")),
    (b"a\xed\xa0\x80b", ["invalid_request"]),
    (b"\xff", ["invalid_request"]),
]


async def test_oauth_form_bodies_with_the_known_payloads(
    oauth_world: OAuthWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """A form decodes percent escapes with replacement, so a surrogate is U+FFFD there and the
    request goes on to the usual errors; raw bytes that are not UTF-8 are ``invalid_request``."""
    for path, endpoint, name in OAUTH_PARAMETERS:
        for base in oauth_world.bases(endpoint):
            form = form_encode({**base.value, name: "PLACEHOLDER"}, True)
            for raw, errors in FORM_VALUES:
                sent_body = Sent(None, form.replace(b"PLACEHOLDER", raw), {})
                status, body = await exchange(oauth_world.client, path, "POST", sent_body, True)
                assert status in (200, 400, 401), (path, name, raw, body)
                if status != 200:
                    check_envelope(body, errors)
    no_tracebacks(caplog)


async def test_a_client_id_no_client_can_have_is_an_unknown_client(
    oauth_world: OAuthWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """NUL is valid JSON and valid Unicode, but PostgreSQL cannot be asked about it."""
    for client_id in ("a\x00b", "\x00", "ann\u00e9", "\x7f"):
        for body in (
            {"grant_type": "authorization_code", "code": "c", "client_id": client_id},
            {
                "grant_type": "refresh_token",
                "refresh_token": "r",
                "client_id": client_id,
                "client_secret": "s",
            },
        ):
            response = await oauth_world.client.post("/oauth/token", json=body)
            assert response.status_code == 401
            check_envelope(await response.get_data(), ["invalid_client"])
        page = await oauth_world.client.get(
            "/oauth/authorize", query_string=authorize_params(client_id, EXACT_URI)
        )
        assert page.status_code == 400
    no_tracebacks(caplog)


async def test_a_resource_that_is_no_url_is_an_invalid_target(oauth_world: OAuthWorld) -> None:
    for resource in ("http://[", "https://[::1/mcp", "http://localhost/mcp?", "x#"):
        base = oauth_world.bases("token")[3].value
        response = await oauth_world.client.post(
            "/oauth/token", json={**base, "resource": resource}
        )
        assert response.status_code == 400
        check_envelope(await response.get_data(), ["invalid_target"])


REGISTER_PLACES = {
    "redirect uri": {"redirect_uris": [CALLBACK + LONE]},
    "redirect uri host": {"redirect_uris": ["https://" + LONE + ".example/cb"]},
    "scope": {"redirect_uris": [CALLBACK], "scope": LONE},
    "auth method": {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": LONE},
    "grant type": {"redirect_uris": [CALLBACK], "grant_types": ["authorization_code", LONE]},
    "response type": {"redirect_uris": [CALLBACK], "response_types": [LONE]},
    "client name": {"redirect_uris": [CALLBACK], "client_name": LONE},
    "unknown name": {"redirect_uris": [CALLBACK], LONE: "x"},
}


async def test_register_refuses_each_known_payload_and_stores_nothing(
    oauth_world: OAuthWorld, caplog: pytest.LogCaptureFixture
) -> None:
    before = await oauth_world.clients()
    for place, template in REGISTER_PLACES.items():
        for label, text in ALL_BODIES.items():
            sent_body = Sent(template, with_value(template, text), {})
            status, body = await exchange(oauth_world.client, "/oauth/register", "POST", sent_body)
            assert status == 400, (place, label, body)
            check_envelope(body, ["invalid_client_metadata"])
    assert await oauth_world.clients() == before
    no_tracebacks(caplog)


async def test_register_refuses_redirect_uris_that_are_no_urls(
    oauth_world: OAuthWorld, caplog: pytest.LogCaptureFixture
) -> None:
    before = await oauth_world.clients()
    for uri in ("https://[x/", "http://[::1", "https://a:x/", "https://a:99999/", "https://a:0/"):
        response = await oauth_world.client.post("/oauth/register", json={"redirect_uris": [uri]})
        assert response.status_code == 400, uri
        check_envelope(await response.get_data(), ["invalid_redirect_uri"])
    assert await oauth_world.clients() == before
    no_tracebacks(caplog)


async def test_a_user_name_no_account_can_have_is_a_wrong_sign_in(
    oauth_world: OAuthWorld, caplog: pytest.LogCaptureFixture
) -> None:
    params = authorize_params(oauth_world.client_id, EXACT_URI)
    page = await oauth_world.client.get("/oauth/authorize", query_string=params)
    csrf = csrf_token(await page.get_data(as_text=True))
    for name in ("a\x00b", "\x00", "ann\ufffd"):
        form = sign_in_form(params, csrf, user=name)
        answer = await oauth_world.client.post("/oauth/authorize", form=form)
        assert answer.status_code == 401
    no_tracebacks(caplog)


def test_the_parser_takes_64_levels_and_refuses_65() -> None:
    for opener, closer in ((b"[", b"]"), (b'{"a":', b"}")):
        inner = b"[]" if opener == b"[" else b"{}"
        assert parse(opener * 63 + inner + closer * 63)
        with pytest.raises(NotJSON, match="deeper than 64 levels"):
            parse(opener * 64 + inner + closer * 64)
