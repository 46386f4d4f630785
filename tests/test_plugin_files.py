"""The files ChatGPT fetches at install time: content, media types, the public URL, no traversal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from quart.testing import QuartClient

from plugin.config import PROJECT_ROOT

from .conftest import SERVICE_TOKEN, MakeClient

LOCAL = {"Host": "localhost:5003"}
PUBLIC_URL = "https://plugin.example.com"
RENDERED = ("/.well-known/ai-plugin.json", "/openapi.yaml", "/openapi.json")
HOSTILE_HEADERS: list[dict[str, str]] = [
    {},
    {"Host": "evil.example"},
    {"Host": "localhost:1234"},
    {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"},
    {"X-Forwarded-Host": "evil.example:443", "X-Forwarded-Port": "1", "Forwarded": "host=evil"},
    {"X-Forwarded-Prefix": "/evil", "X-Original-URL": "/evil"},
]


async def get_json(client: QuartClient, path: str, headers: dict[str, str] = LOCAL) -> Any:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, await response.get_data()
    return json.loads(await response.get_data())


async def manifest_and_spec(client: QuartClient) -> tuple[dict[str, Any], dict[str, Any]]:
    return (
        await get_json(client, "/.well-known/ai-plugin.json"),
        await get_json(client, "/openapi.json"),
    )


async def test_manifest(client: QuartClient) -> None:
    response = await client.get("/.well-known/ai-plugin.json", headers=LOCAL)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = (await response.get_data()).decode()
    assert "PLUGIN_HOSTNAME" not in body
    manifest = json.loads(body)
    shipped = json.loads((PROJECT_ROOT / "manifest.json").read_text())
    assert manifest["schema_version"] == "v1"
    assert manifest["name_for_model"] == shipped["name_for_model"]
    assert manifest["api"] == {
        "type": "openapi",
        "url": "http://localhost:5003/openapi.yaml",
        "is_user_authenticated": False,
    }
    assert manifest["logo_url"] == "http://localhost:5003/logo.png"
    assert manifest["legal_info_url"] == "http://localhost:5003/legal"
    assert manifest["auth"] == {"type": "none"}


def test_shipped_manifest_within_the_published_limits() -> None:
    manifest = json.loads((PROJECT_ROOT / "manifest.json").read_text())
    assert len(manifest["name_for_human"]) <= 50
    assert len(manifest["name_for_model"]) <= 50
    assert manifest["name_for_model"].replace("_", "").isalnum()
    assert len(manifest["description_for_human"]) <= 120
    assert len(manifest["description_for_model"]) <= 8000
    assert manifest["description_for_model"].startswith("Plugin for")


async def test_spec_yaml_and_json_are_the_same_document(client: QuartClient) -> None:
    as_yaml = await client.get("/openapi.yaml", headers=LOCAL)
    as_json = await client.get("/openapi.json", headers=LOCAL)
    assert as_yaml.headers["Content-Type"] == "application/yaml"
    assert as_json.headers["Content-Type"] == "application/json"
    spec = yaml.safe_load(await as_yaml.get_data())
    assert spec == json.loads(await as_json.get_data())
    assert spec["servers"] == [{"url": "http://localhost:5003"}]
    assert "PLUGIN_HOSTNAME" not in (await as_yaml.get_data()).decode()
    validate(spec)


@pytest.mark.parametrize(
    ("path", "filename", "content_type"),
    [
        ("/logo.png", "logo.png", "image/png"),
        ("/legal", "legal.html", "text/html; charset=utf-8"),
        ("/privacy", "privacy.html", "text/html; charset=utf-8"),
    ],
)
async def test_static_files(
    client: QuartClient, path: str, filename: str, content_type: str
) -> None:
    response = await client.get(path, headers={"Host": "anything.example"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert await response.get_data() == (PROJECT_ROOT / "static" / filename).read_bytes()


async def test_logo_is_a_png(client: QuartClient) -> None:
    logo = await (await client.get("/logo.png")).get_data()
    assert logo.startswith(b"\x89PNG\r\n\x1a\n")


async def test_public_url_fixes_every_byte(make_client: MakeClient) -> None:
    client = await make_client(public_url=PUBLIC_URL + "/")
    for path in RENDERED:
        bodies = set()
        for headers in HOSTILE_HEADERS:
            response = await client.get(path, headers=headers)
            assert response.status_code == 200
            bodies.add(await response.get_data())
        assert len(bodies) == 1, path
        body = bodies.pop().decode()
        assert "evil" not in body and "localhost" not in body and "PLUGIN_HOSTNAME" not in body
        assert PUBLIC_URL in body and PUBLIC_URL + "//" not in body


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:5003", "LOCALHOST:80", "127.0.0.1:8080", "[::1]:5003"]
)
async def test_loopback_host_is_derived(client: QuartClient, host: str) -> None:
    manifest = await get_json(client, "/.well-known/ai-plugin.json", {"Host": host})
    assert manifest["api"]["url"] == f"http://{host}/openapi.yaml"
    spec = await get_json(client, "/openapi.json", {"Host": host})
    assert spec["servers"] == [{"url": f"http://{host}"}]


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:5003",
        "localhost.evil.example",
        "127.0.0.1.nip.io:5003",
        "localhost@evil.example",
        "localhost:5003/evil",
        "localhost:5003 evil",
        "10.0.0.1:5003",
        "",
    ],
)
async def test_other_hosts_are_refused(client: QuartClient, host: str) -> None:
    for path in RENDERED:
        response = await client.get(path, headers={"Host": host})
        assert response.status_code == 400
        assert response.headers["Content-Type"] == "application/json"
        error = await response.get_json()
        assert error["error"] == "unknown_host"
        assert "PLUGIN_PUBLIC_URL" in error["error_description"]
        assert "evil" not in json.dumps(error)


@pytest.mark.parametrize(
    ("hops", "headers", "base_url"),
    [
        (1, {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "p.example"}, "https://p.example"),
        (
            1,
            {"X-Forwarded-Proto": "http, https", "X-Forwarded-Host": "spoof.evil, p.example:8443"},
            "https://p.example:8443",
        ),
        (
            2,
            {"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "spoof.evil, p.example, lb"},
            "https://p.example",
        ),
        # Too few values: a proxy that should have set them did not, so they are not believed.
        (2, {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "spoof.evil"}, "http://localhost"),
        (1, {}, "http://localhost"),
    ],
)
async def test_trusted_proxy_hops(
    make_client: MakeClient, hops: int, headers: dict[str, str], base_url: str
) -> None:
    client = await make_client(trusted_proxy_hops=hops)
    manifest = await get_json(
        client, "/.well-known/ai-plugin.json", {"Host": "localhost", **headers}
    )
    assert manifest["api"]["url"] == f"{base_url}/openapi.yaml"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-Host": "evil.example/path"},
        {"X-Forwarded-Host": "evil.example:port"},
        {"X-Forwarded-Host": "evil example"},
        {"X-Forwarded-Host": "p.example", "X-Forwarded-Proto": "javascript"},
    ],
)
async def test_malformed_forwarded_values_are_refused(
    make_client: MakeClient, headers: dict[str, str]
) -> None:
    client = await make_client(trusted_proxy_hops=1)
    response = await client.get("/.well-known/ai-plugin.json", headers=headers)
    assert response.status_code == 400
    assert (await response.get_json())["error"] == "unknown_host"


@pytest.mark.parametrize(
    ("overrides", "auth", "scheme"),
    [
        ({}, {"type": "none"}, None),
        (
            {"auth": "service_http", "service_token": SERVICE_TOKEN},
            {"type": "service_http", "authorization_type": "bearer"},
            {"type": "http", "scheme": "bearer"},
        ),
        (
            {"auth": "service_http", "service_token": SERVICE_TOKEN, "authorization_type": "basic"},
            {"type": "service_http", "authorization_type": "basic"},
            {"type": "http", "scheme": "basic"},
        ),
        (
            {
                "auth": "service_http",
                "service_token": SERVICE_TOKEN,
                "verification_token": "verify-0123",
            },
            {
                "type": "service_http",
                "authorization_type": "bearer",
                "verification_tokens": {"openai": "verify-0123"},
            },
            {"type": "http", "scheme": "bearer"},
        ),
    ],
)
async def test_auth_block_and_security_scheme_follow_the_mode(
    make_client: MakeClient,
    overrides: dict[str, Any],
    auth: dict[str, Any],
    scheme: dict[str, Any] | None,
) -> None:
    client = await make_client(**overrides)
    manifest, spec = await manifest_and_spec(client)
    assert manifest["auth"] == auth
    assert spec == yaml.safe_load(await (await client.get("/openapi.yaml", headers=LOCAL)).data)
    if scheme is None:
        assert "securitySchemes" not in spec.get("components", {})
        assert "security" not in spec
    else:
        assert spec["components"]["securitySchemes"] == {"pluginAuth": scheme}
        assert spec["security"] == [{"pluginAuth": []}]
    validate(spec)
    served = json.dumps([manifest, spec])
    assert SERVICE_TOKEN not in served


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch", "head", "options", "trace")
    ]


def test_shipped_spec_is_valid_and_fits_openai_limits() -> None:
    spec = yaml.safe_load((PROJECT_ROOT / "openapi.yaml").read_text())
    validate(spec)
    ids = [operation.get("operationId") for _, _, operation in operations(spec)]
    assert all(ids) and len(set(ids)) == len(ids)
    assert {"getTodos", "addTodo", "deleteTodo"} <= set(ids)
    for path, method, operation in operations(spec):
        for key in ("summary", "description"):
            assert len(operation.get(key, "")) <= 200, (path, method, key)
        for parameter in operation.get("parameters", []):
            assert "$ref" not in parameter  # declared per operation, as importers expect
            assert len(parameter.get("description", "")) <= 200, (path, method, parameter)
        body = operation.get("requestBody", {}).get("content", {})
        for media in body.values():
            assert "$ref" not in media["schema"]  # inline request bodies


async def test_other_well_known_files_are_served_as_they_are(
    make_client: MakeClient, plugin_root: Path
) -> None:
    files = {
        "security.txt": (b"Contact: mailto:security@example.com\n", "text/plain"),
        "assetlinks.json": (b'[{"relation": ["PLUGIN_HOSTNAME"]}]', "application/json"),
    }
    for name, (data, _) in files.items():
        (plugin_root / ".well-known" / name).write_bytes(data)
    client = await make_client(root=plugin_root)
    for name, (data, content_type) in files.items():
        response = await client.get(f"/.well-known/{name}", headers={"Host": "evil.example"})
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith(content_type)
        assert await response.get_data() == data


TRAVERSALS = [
    "/.well-known/../manifest.json",
    "/.well-known/../secret.txt",
    "/.well-known/%2e%2e/secret.txt",
    "/.well-known/%2E%2E/secret.txt",
    "/.well-known/..%2fsecret.txt",
    "/.well-known/..%2Fsecret.txt",
    "/.well-known/%2e%2e%2fsecret.txt",
    "/.well-known/..\\secret.txt",
    "/.well-known/..%5csecret.txt",
    "/.well-known/sub/../../secret.txt",
    "/.well-known/sub/inner.txt",
    "/.well-known//secret.txt",
    "/.well-known/%2fetc%2fpasswd",
    "/.well-known/.hidden",
    "/.well-known/.gitkeep",
    "/.well-known/secret.txt%00",
    "/.well-known/%00",
    "/.well-known/",
    "/.well-known",
    "/.well-known/.",
    "/.well-known/..",
    "/static/logo.png",
    "/static/../secret.txt",
    "/secret.txt",
    "/manifest.json",
    "/openapi.yaml/../secret.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
async def test_nothing_outside_the_allowed_files_is_reachable(
    make_client: MakeClient, plugin_root: Path, path: str
) -> None:
    (plugin_root / "secret.txt").write_text("TOP-SECRET-OUTSIDE")
    (plugin_root / ".well-known" / ".hidden").write_text("TOP-SECRET-DOTFILE")
    (plugin_root / ".well-known" / "sub").mkdir()
    (plugin_root / ".well-known" / "sub" / "inner.txt").write_text("TOP-SECRET-NESTED")
    client = await make_client(root=plugin_root)
    response = await client.get(path, headers=LOCAL)
    body = (await response.get_data()).decode(errors="replace")
    assert "TOP-SECRET" not in body
    assert "PLUGIN_HOSTNAME" not in body  # the raw manifest or spec
    assert response.status_code == 404
    assert set(json.loads(body)) == {"error", "error_description"}


@pytest.mark.parametrize("path", [*RENDERED, "/logo.png", "/legal", "/privacy"])
async def test_head_has_the_headers_and_no_body(client: QuartClient, path: str) -> None:
    get = await client.get(path, headers=LOCAL)
    head = await client.head(path, headers=LOCAL)
    assert head.status_code == 200
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert await head.get_data() == b""  # Content-Length is checked over HTTP (e2e)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", [*RENDERED, "/logo.png", "/privacy"])
async def test_other_methods_are_405(client: QuartClient, path: str, method: str) -> None:
    response = await client.open(path, method=method, headers=LOCAL, data=b"{}")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    error = await response.get_json()
    assert error["error"] == "method_not_allowed"


async def test_edited_files_are_served_and_a_broken_edit_keeps_the_last_good(
    make_client: MakeClient, plugin_root: Path
) -> None:
    client = await make_client(root=plugin_root)
    manifest_path = plugin_root / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["name_for_human"] = "Edited name"
    manifest_path.write_text(json.dumps(manifest))
    assert (await get_json(client, "/.well-known/ai-plugin.json"))["name_for_human"] == (
        "Edited name"
    )
    manifest_path.write_text('{"name_for_human": ')  # a save in the middle of an edit
    assert (await get_json(client, "/.well-known/ai-plugin.json"))["name_for_human"] == (
        "Edited name"
    )
    spec_path = plugin_root / "openapi.yaml"
    spec_path.write_text(spec_path.read_text().replace("title: TODO Plugin", "title: Edited"))
    assert (await get_json(client, "/openapi.json"))["info"]["title"] == "Edited"
    spec_path.write_text("openapi: 3.0.3\npaths: {}\n")  # not a valid spec: no info
    assert (await get_json(client, "/openapi.json"))["info"]["title"] == "Edited"


async def test_a_spec_broken_from_the_start_is_503(
    make_client: MakeClient, plugin_root: Path
) -> None:
    (plugin_root / "openapi.yaml").write_text("openapi: [unclosed\n")
    client = await make_client(root=plugin_root)
    response = await client.get("/openapi.yaml", headers=LOCAL)
    assert response.status_code == 503
    error = await response.get_json()
    assert error["error"] == "plugin_file_unavailable"
    assert "openapi.yaml" in error["error_description"]
    assert str(plugin_root) not in error["error_description"]
