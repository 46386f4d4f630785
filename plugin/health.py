"""``/healthz`` (the process answers) and ``/readyz`` (and its database does), for load balancers
and process managers. Public, never rate-limited nor refused by the allowlist, and kept out of
the spec the model sees: they are for machines that run the server, not for ChatGPT.
"""

from __future__ import annotations

import asyncio
import logging

from quart import Blueprint, Response

from .auth import public
from .errors import NotReady
from .limits import unlimited
from .state import app_state

__all__ = ["HEALTH_PATHS", "blueprint"]

logger = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})
READY_TIMEOUT = 2.0  # seconds; a probe must answer before the balancer's own timeout

blueprint = Blueprint("health", __name__)
OK = b'{"status": "ok"}'


def _ok() -> Response:
    return Response(OK, content_type="application/json", headers={"Cache-Control": "no-store"})


@blueprint.get("/healthz")
@public
@unlimited
async def healthz() -> Response:
    return _ok()


@blueprint.get("/readyz")
@public
@unlimited
async def readyz() -> Response:
    store = app_state().store
    try:
        if store is None:
            raise RuntimeError("the store is not open")
        await asyncio.wait_for(store.ping(), READY_TIMEOUT)
    except Exception:
        logger.warning("readiness check failed", exc_info=True)
        raise NotReady("The database does not answer.") from None
    return _ok()
