"""The admin commands in a subprocess, as scripts use them: every one answers one JSON object."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from plugin.auth.passwords import verify_password
from plugin.auth.tokens import digest

from .cli import cli_ok, run_cli
from .support import PASSWORD

pytestmark = pytest.mark.slow


def test_users_add_list_password_remove(tmp_path: Path) -> None:
    database = tmp_path / "cli.sqlite3"
    added = cli_ok(database, "users", "add", "ann", stdin=PASSWORD + "\n")
    assert added["user"] == "ann" and added["created_at"].endswith("Z")
    cli_ok(database, "users", "add", "bob", stdin=PASSWORD + "\n")
    assert [u["name"] for u in cli_ok(database, "users", "list")["users"]] == ["ann", "bob"]
    status, error = run_cli(database, "users", "add", "ann", stdin=PASSWORD + "\n")
    assert (
        status == 1
        and error["error"] == "invalid_request"
        and "exists" in error["error_description"]
    )
    stored = sqlite3.connect(database).execute("SELECT password_hash FROM users WHERE name='ann'")
    password_hash = stored.fetchone()[0]
    assert password_hash.startswith("scrypt$") and PASSWORD not in password_hash
    assert verify_password(PASSWORD, password_hash)
    cli_ok(database, "users", "password", "ann", stdin="another password\n")
    changed = sqlite3.connect(database).execute("SELECT password_hash FROM users WHERE name='ann'")
    assert verify_password("another password", changed.fetchone()[0])
    assert cli_ok(database, "users", "remove", "bob") == {"user": "bob", "removed": True}
    assert run_cli(database, "users", "remove", "bob")[0] == 1
    assert [u["name"] for u in cli_ok(database, "users", "list")["users"]] == ["ann"]


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    database = tmp_path / "cli.sqlite3"
    cli_ok(database, "users", "add", "ann", stdin=PASSWORD + "\n")
    first = cli_ok(database, "keys", "create", "ann")
    second = cli_ok(database, "keys", "create", "ann")
    assert len(first["key"]) >= 43 and first["key"] != second["key"]
    assert first["prefix"] == first["key"][:6]
    listed = cli_ok(database, "keys", "list", "ann")["keys"]
    assert [k["key_id"] for k in listed] == [first["key_id"], second["key_id"]]
    assert all("key" not in k and k["revoked_at"] is None for k in listed)
    hashes = {row[0] for row in sqlite3.connect(database).execute("SELECT key_hash FROM api_keys")}
    assert hashes == {digest(first["key"]), digest(second["key"])}
    assert cli_ok(database, "keys", "revoke", "ann", first["key_id"]) == {
        "user": "ann",
        "revoked": 1,
    }
    assert run_cli(database, "keys", "revoke", "ann", first["key_id"])[0] == 1
    assert cli_ok(database, "keys", "revoke", "ann", "--all")["revoked"] == 1
    assert all(k["revoked_at"] for k in cli_ok(database, "keys", "list", "ann")["keys"])


def test_oauth_clients(tmp_path: Path) -> None:
    database = tmp_path / "cli.sqlite3"
    exact = cli_ok(
        database,
        "oauth",
        "add-client",
        "--redirect-uri",
        "https://a.example/cb",
        "--redirect-uri",
        "http://localhost:8000/cb",
    )
    assert exact["redirect_uris"] == ["https://a.example/cb", "http://localhost:8000/cb"]
    for value in (exact["client_id"], exact["client_secret"]):
        assert value and set(value) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
        )
    chatgpt = cli_ok(database, "oauth", "add-client", "--chatgpt-callback")
    assert chatgpt["chatgpt_callback"] is True and chatgpt["redirect_uris"] == []
    listed = cli_ok(database, "oauth", "list-clients")["clients"]
    assert {c["client_id"] for c in listed} == {exact["client_id"], chatgpt["client_id"]}
    assert all("client_secret" not in c for c in listed)
    stored = sqlite3.connect(database).execute("SELECT secret_hash FROM oauth_clients")
    assert digest(exact["client_secret"]) in {row[0] for row in stored}
    status, error = run_cli(database, "oauth", "add-client", "--redirect-uri", "http://a.example")
    assert (
        status == 1
        and error["error"] == "invalid_request"
        and "https" in error["error_description"]
    )
    assert cli_ok(database, "oauth", "remove-client", exact["client_id"])["removed"] is True
    assert run_cli(database, "oauth", "remove-client", exact["client_id"])[0] == 1
