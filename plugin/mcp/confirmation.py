"""Asking the user before a consequential tool runs, the 2026-07-28 way: multi round-trip
requests (the spec's ``basic/patterns/mrtr``), which replaced server-initiated elicitation.

The first ``tools/call`` is answered with ``resultType: "input_required"``: one form
elicitation (``confirm``, no fields: the user accepts or declines) and a ``requestState``. The
client asks the user and retries the same call with ``inputResponses`` and the state echoed.
The server keeps nothing in between: the state is HMAC-SHA256 over the tool, a digest of the
arguments, a digest of the caller's credentials and an expiry, under a server secret, so a
retry runs only the very call that was asked about, by the same caller, within
:data:`STATE_TTL` seconds. An answer without a valid state is never taken for a yes; a state
that fails any check is refused (the spec: "MUST reject state that fails verification").

The state bounds replay (caller, call, time) but is not single-use: within the TTL the same
caller may run the same confirmed call again, as the spec's warning on ``requestState`` says.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any, Literal

from .protocol import INVALID_PARAMS, RPCError
from .tools import Tool

__all__ = ["CONFIRM_KEY", "STATE_TTL", "Confirmation", "Decision", "can_elicit"]

CONFIRM_KEY = "confirm"
STATE_TTL = 600  # seconds the user has to answer
VERSION = "c1"
MAX_SHOWN = 300  # characters of the arguments the question quotes

Decision = Literal["ask", "accept", "decline", "cancel"]
ANSWERS: dict[str, Decision] = {"accept": "accept", "decline": "decline", "cancel": "cancel"}


def can_elicit(capabilities: Any) -> bool:
    """The client declared form elicitation (``elicitation: {}`` means form, for old clients)."""
    elicitation = capabilities.get("elicitation") if isinstance(capabilities, dict) else None
    if not isinstance(elicitation, dict):
        return False
    return not elicitation or isinstance(elicitation.get("form"), dict)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _refused(reason: str) -> RPCError:
    return RPCError(
        INVALID_PARAMS,
        "Invalid or expired requestState: call the tool again to be asked anew.",
        {"reason": reason},
    )


class Confirmation:
    """Mints and checks the confirmation round trip under one secret key."""

    def __init__(self, secret: bytes, now: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(b"plugin/mcp/confirmation\0" + secret).digest()
        self._now = now

    def _binding(self, tool: Tool, arguments: dict[str, Any], caller: bytes) -> dict[str, str]:
        return {
            "tool": tool.name,
            "arguments": hashlib.sha256(_canonical(arguments)).hexdigest(),
            "caller": hashlib.sha256(caller).hexdigest(),
        }

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._key, f"{VERSION}.{payload}".encode(), hashlib.sha256).digest()
        return _b64(mac)

    def ask(self, tool: Tool, arguments: dict[str, Any], caller: bytes) -> dict[str, Any]:
        """The ``input_required`` result asking the user to allow this call."""
        claims = {**self._binding(tool, arguments, caller), "expires": int(self._now()) + STATE_TTL}
        payload = _b64(_canonical(claims))
        shown = json.dumps(arguments, ensure_ascii=False)
        if len(shown) > MAX_SHOWN:
            shown = shown[:MAX_SHOWN] + "..."
        title = tool.definition.get("title") or tool.name
        question = (
            f"Allow {title!r} ({tool.method} {tool.path}) with {shown}? "
            "It may change or delete data."
        )
        request = {
            "method": "elicitation/create",
            "params": {
                "mode": "form",
                "message": question,
                "requestedSchema": {"type": "object", "properties": {}},
            },
        }
        return {
            "resultType": "input_required",
            "inputRequests": {CONFIRM_KEY: request},
            "requestState": f"{VERSION}.{payload}.{self._sign(payload)}",
        }

    def decide(
        self, params: dict[str, Any], tool: Tool, arguments: dict[str, Any], caller: bytes
    ) -> Decision:
        """What the retry in ``params`` answers; raises :class:`RPCError` for a bad state."""
        state = params.get("requestState")
        if state is None:
            return "ask"
        if not isinstance(state, str):
            raise _refused("not a string")
        version, _, rest = state.partition(".")
        payload, _, mac = rest.partition(".")
        if version != VERSION or not hmac.compare_digest(
            mac.encode(), self._sign(payload).encode()
        ):
            raise _refused("signature")
        try:
            claims = json.loads(_unb64(payload))
        except (binascii.Error, ValueError):
            raise _refused("malformed") from None
        expected = self._binding(tool, arguments, caller)
        if not isinstance(claims, dict) or any(claims.get(k) != v for k, v in expected.items()):
            raise _refused("another call or caller")
        expires = claims.get("expires")
        if not isinstance(expires, int) or expires < self._now():
            raise _refused("expired")
        responses = params.get("inputResponses")
        answer = responses.get(CONFIRM_KEY) if isinstance(responses, dict) else None
        action = answer.get("action") if isinstance(answer, dict) else None
        # The spec: ask again for what is missing, rather than fail.
        return ANSWERS.get(action, "ask") if isinstance(action, str) else "ask"
