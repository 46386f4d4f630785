"""Admin commands: ``users``, ``keys`` and ``oauth``, registered in :data:`plugin.cli.COMMANDS`.

Each prints a short human answer, or with ``--json`` exactly one JSON object on stdout (an error
too, in the envelope, with exit status 1), so scripts can read what they made. A new key or
client secret is printed once and never again: only its digest is stored.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from .accounts import AccountError, add_client, add_user, check_password, create_key
from .auth.passwords import hash_password
from .config import Settings
from .storage import Store, open_configured_store
from .storage.records import OAuthClient

__all__ = ["register"]

Action = Callable[[Store, argparse.Namespace], Awaitable[tuple[dict[str, Any], str]]]


def _when(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _read_password(name: str) -> str:
    """Prompted twice on a terminal; otherwise the first line of stdin (for scripts)."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"Password for {name}: ")
        if getpass.getpass("Again: ") != first:
            raise AccountError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


async def _users_add(store: Store, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    user = await add_user(store, args.name, _read_password(args.name))
    return {"user": user.name, "created_at": _when(user.created_at)}, f"added user {user.name}"


async def _require_user(store: Store, name: str) -> None:
    if await store.get_user(name) is None:
        raise AccountError(f"no user {name!r}")


async def _users_password(store: Store, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    password = _read_password(args.name)
    check_password(password)
    revoked = await store.set_password(args.name, await asyncio.to_thread(hash_password, password))
    if revoked is None:
        raise AccountError(f"no user {args.name!r}")
    # Keys are credentials of their own, made and revoked with ``keys``: a new password
    # leaves them working, and says so.
    return (
        {"user": args.name, "password_changed": True, "grants_revoked": revoked},
        f"changed the password of {args.name} and revoked {revoked} OAuth grant(s) "
        "(API keys still work: see keys revoke)",
    )


async def _users_revoke(store: Store, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    await _require_user(store, args.name)
    if args.client is not None and await store.get_oauth_client(args.client) is None:
        raise AccountError(f"no client {args.client!r}")
    revoked = await store.revoke_grants(args.name, args.client)
    given_to = "" if args.client is None else f" to {args.client}"
    return (
        {"user": args.name, "client_id": args.client, "grants_revoked": revoked},
        f"revoked {revoked} OAuth grant(s) {args.name} gave{given_to}, with their tokens "
        "(todos and API keys kept)",
    )


async def _users_list(store: Store, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    users = await store.list_users()
    listed = [{"name": user.name, "created_at": _when(user.created_at)} for user in users]
    text = "\n".join(f"{u['name']}\t{u['created_at']}" for u in listed) or "no users"
    return {"users": listed}, text


async def _users_remove(store: Store, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    if not await store.remove_user(args.name):
        raise AccountError(f"no user {args.name!r}")
    return (
        {"user": args.name, "removed": True},
        f"removed user {args.name} with their todos, keys and tokens",
    )


async def _keys_create(store: Store, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    made = await create_key(store, args.name)
    answer = {
        "user": made.key.user,
        "key_id": made.key.id,
        "prefix": made.key.prefix,
        "key": made.secret,
        "created_at": _when(made.key.created_at),
    }
    return answer, f"{made.secret}\n(key id {made.key.id}; shown once, only its hash is kept)"


async def _keys_list(store: Store, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    await _require_user(store, args.name)
    keys = [
        {
            "key_id": key.id,
            "prefix": key.prefix,
            "created_at": _when(key.created_at),
            "revoked_at": _when(key.revoked_at),
        }
        for key in await store.list_api_keys(args.name)
    ]
    text = "\n".join(
        f"{k['key_id']}\t{k['prefix']}...\tcreated {k['created_at']}"
        + (f"\trevoked {k['revoked_at']}" if k["revoked_at"] else "")
        for k in keys
    )
    return {"user": args.name, "keys": keys}, text or f"{args.name} has no keys"


async def _keys_revoke(store: Store, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    if (args.key_id is None) == (not args.all):
        raise AccountError("give a KEY_ID or --all (not both)")
    await _require_user(store, args.name)
    revoked = await store.revoke_api_keys(
        args.name, args.key_id, int(datetime.now(UTC).timestamp())
    )
    if args.key_id is not None and not revoked:
        raise AccountError(f"{args.name} has no live key {args.key_id!r}")
    return {"user": args.name, "revoked": revoked}, f"revoked {revoked} key(s) of {args.name}"


def _client_json(client: OAuthClient) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "redirect_uris": list(client.redirect_uris),
        "chatgpt_callback": client.chatgpt_callback,
        "redirect_presets": list(client.redirect_presets),
        "public": client.public,
        "dynamic": client.dynamic,
        "created_at": _when(client.created_at),
    }


async def _oauth_add(store: Store, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    presets = tuple(
        name
        for name, chosen in (("chatgpt-connector", args.chatgpt_connector), ("claude", args.claude))
        if chosen
    )
    made = await add_client(store, args.redirect_uri, args.chatgpt_callback, presets)
    answer = {**_client_json(made.client), "client_secret": made.secret}
    text = (
        f"client_id:     {made.client.client_id}\nclient_secret: {made.secret}\n"
        "(the secret is shown once; only its hash is kept)"
    )
    return answer, text


async def _oauth_list(store: Store, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    clients = [_client_json(client) for client in await store.list_oauth_clients()]
    text = "\n".join(
        f"{c['client_id']}\t{' '.join(c['redirect_uris'])}"
        + ("\t+ChatGPT callback" if c["chatgpt_callback"] else "")
        + "".join(f"\t+{preset}" for preset in c["redirect_presets"])
        + ("\t(registered itself)" if c["dynamic"] else "")
        for c in clients
    )
    return {"clients": clients}, text or "no clients"


async def _oauth_remove(store: Store, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    if not await store.remove_oauth_client(args.client_id):
        raise AccountError(f"no client {args.client_id!r}")
    return {"client_id": args.client_id, "removed": True}, f"removed client {args.client_id}"


async def _run_action(settings: Settings, action: Action, args: argparse.Namespace) -> Any:
    store = await open_configured_store(settings)
    try:
        return await action(store, args)
    finally:
        await store.close()


def _handler(action: Action) -> Callable[[Settings, argparse.Namespace], int]:
    def handle(settings: Settings, args: argparse.Namespace) -> int:
        try:
            answer, text = asyncio.run(_run_action(settings, action, args))
        except AccountError as error:
            if args.json:
                print(json.dumps({"error": "invalid_request", "error_description": str(error)}))
            else:
                print(f"error: {error}", file=sys.stderr)
            return 1
        print(json.dumps(answer) if args.json else text)
        return 0

    return handle


def _command(group: Any, name: str, action: Action, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = group.add_parser(name, help=help_text)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=_handler(action))
    return parser


def register(commands: Any) -> None:
    """Add ``users``, ``keys`` and ``oauth`` to the top-level subcommands."""
    users = commands.add_parser("users", help="accounts (user_http and oauth modes)")
    group = users.add_subparsers(dest="users_command", required=True)
    for name, action, help_text in (
        ("add", _users_add, "create an account; password prompted or read from stdin"),
        (
            "password",
            _users_password,
            "set a new password (prompted or from stdin) and revoke the user's OAuth grants",
        ),
        ("remove", _users_remove, "delete an account with its todos, keys and tokens"),
    ):
        _command(group, name, action, help_text).add_argument("name")
    _command(group, "list", _users_list, "list accounts")
    revoke = _command(
        group, "revoke", _users_revoke, "revoke a user's OAuth tokens and codes, keeping their data"
    )
    revoke.add_argument("name")
    revoke.add_argument("--client", metavar="CLIENT_ID", help="only those given to this client")

    keys = commands.add_parser("keys", help="user_http API keys")
    group = keys.add_subparsers(dest="keys_command", required=True)
    _command(group, "create", _keys_create, "make a key, printed once").add_argument("name")
    _command(group, "list", _keys_list, "list a user's keys (never the key)").add_argument("name")
    revoke = _command(group, "revoke", _keys_revoke, "revoke one key, or --all")
    revoke.add_argument("name")
    revoke.add_argument("key_id", nargs="?")
    revoke.add_argument("--all", action="store_true", help="revoke every key of the user")

    oauth = commands.add_parser("oauth", help="OAuth clients (oauth mode)")
    group = oauth.add_subparsers(dest="oauth_command", required=True)
    add = _command(group, "add-client", _oauth_add, "register a client; secret printed once")
    add.add_argument(
        "--redirect-uri", action="append", default=[], help="an exact redirect URI (repeatable)"
    )
    add.add_argument(
        "--chatgpt-callback",
        action="store_true",
        help="also accept ChatGPT's callback https://chat.openai.com/aip/<id>/oauth/callback "
        "and https://chatgpt.com/aip/g-<id>/oauth/callback, any id",
    )
    add.add_argument(
        "--chatgpt-connector",
        action="store_true",
        help="also accept ChatGPT's MCP connector callbacks "
        "https://chatgpt.com/connector/oauth/<id> (any id) and "
        "https://chatgpt.com/connector_platform_oauth_redirect",
    )
    add.add_argument(
        "--claude",
        action="store_true",
        help="also accept Claude's MCP callback https://claude.ai/api/mcp/auth_callback "
        "(and the same on claude.com)",
    )
    _command(group, "list-clients", _oauth_list, "list clients (never a secret)")
    _command(group, "remove-client", _oauth_remove, "delete a client and its tokens").add_argument(
        "client_id"
    )
