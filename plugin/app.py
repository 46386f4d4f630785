"""The app factory: every part wired once, from one Settings object."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from quart import Quart

from . import health
from .access_log import AccessLog
from .allowlist import with_allowlist
from .auth import Clock, build_authenticator, install_authentication
from .config import Settings, load_settings
from .console import install_console
from .cors import CORSPolicy
from .edge import EdgeMiddleware
from .errors import install_error_handlers
from .host_check import with_host_check
from .https_redirect import with_https_redirect
from .lean_quart import LeanQuart
from .limits import RateLimits, install_rate_limit
from .mcp import mount_mcp
from .oauth import OAUTH_PAGE_PREFIXES, install_oauth
from .operations import Router, live_operations
from .plugin_files import PluginFiles, PluginFilesMiddleware
from .proxy import install_proxy
from .recent_calls import is_console_path
from .state import AppState
from .storage import open_configured_store

__all__ = ["create_app"]

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, clock: Clock = time.time) -> Quart:
    """Build the app; without settings they are read from ``PLUGIN_*`` (for ``hypercorn``).

    ``clock`` decides when codes and tokens expire; tests pass a frozen one."""
    if settings is None:
        settings = load_settings(os.environ)
    # static/ is served by PluginFilesMiddleware; lean_quart.py says what LeanQuart changes.
    app = LeanQuart(__name__, static_folder=None)
    # Werkzeug would answer "/todos//ann" with a redirect to a URL built from the Host header.
    app.url_map.merge_slashes = False
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        PROVIDE_AUTOMATIC_OPTIONS=True,
        BODY_TIMEOUT=None,  # the edge layer times bodies out, for every route (edge.py)
    )
    state = AppState(settings)
    state.install(app)
    install_error_handlers(app)
    authenticator = build_authenticator(settings, lambda: state.open_store, clock)
    limits = RateLimits(settings)
    install_authentication(app, authenticator, limits.api_authentication)
    install_oauth(app, settings, lambda: state.open_store, clock)
    install_rate_limit(app, limits)
    app.register_blueprint(health.blueprint)

    @app.before_serving
    async def open_database() -> None:
        state.store = await open_configured_store(settings)
        if settings.auth == "service_http" and not settings.verification_token:
            logger.warning(
                "PLUGIN_VERIFICATION_TOKEN is not set: the manifest has no verification token "
                "until ChatGPT gives you one for your service token"
            )

    @app.after_serving
    async def close_database() -> None:
        if state.store is not None:
            await state.store.close()
            state.store = None

    files = PluginFiles(settings)
    operations = live_operations(settings, files.spec)  # None in proxy mode
    install_console(app, files, operations.problems if operations else list)
    # Last: the operations' rules join every route added before them (operations/routes.py).
    router = (
        Router(app, operations, limits.callers, settings.check_responses) if operations else None
    )

    def answered_here(path: str) -> bool:
        """In proxy mode: health checks are about this process, the console is this server's."""
        return path in health.HEALTH_PATHS or (settings.console and is_console_path(path))

    install_proxy(app, settings, answered_here)
    asgi: Any = app.asgi_app
    if router is not None:
        asgi = router.following(asgi)
    asgi = with_host_check(asgi, settings)
    asgi = mount_mcp(PluginFilesMiddleware(asgi, files), asgi, files, settings, authenticator)
    asgi = with_https_redirect(with_allowlist(asgi, settings), settings)
    access = AccessLog(state.recent_calls if settings.console else None, settings.access_log)
    cors = CORSPolicy(settings.cors_origins, OAUTH_PAGE_PREFIXES)
    asgi = EdgeMiddleware(asgi, cors, access, settings.body_timeout, settings.api_key_header)
    app.asgi_app = asgi  # type: ignore[method-assign]
    return app
