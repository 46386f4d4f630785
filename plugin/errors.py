"""The error tree and the one JSON envelope every error is rendered in.

    APIError                      {"error": code, "error_description": text}, with a status
    ├── BadRequest        400     malformed JSON, a body that is not an object
    ├── Unauthorized      401     missing or wrong credentials (adds WWW-Authenticate)
    ├── Forbidden         403     a caller known, but not allowed this (a plugin's handler)
    ├── NotFound          404     unknown user, index, id or route
    ├── Conflict          409     the request clashes with what is stored (a plugin's handler)
    ├── PayloadTooLarge   413     body over PLUGIN_MAX_BODY_BYTES
    ├── UnsupportedMediaType 415  a JSON body sent without a JSON Content-Type
    ├── ValidationFailed  422     a field missing, of the wrong type or out of range
    ├── TooManyRequests   429     over a PLUGIN_RATE_LIMIT* budget (adds Retry-After)
    ├── NotReady          503     /readyz: the database does not answer
    ├── DatabaseBusy      503     another process held the database's lock for the whole
                                  PLUGIN_DATABASE_BUSY_TIMEOUT (storage's DatabaseBusyError;
                                  adds Retry-After); nothing was written
    └── Problem           any     a plugin handler's own status and code

The network allowlist answers 403 ``forbidden_network`` in the same envelope, before Quart.

Quart's and Werkzeug's own HTTP errors (404, 405, 413, ...) are rendered in the same shape, and
anything unexpected becomes a generic 500 whose details go to the log only.
"""

from __future__ import annotations

import json
import logging
import re

from quart import Quart, Response
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

__all__ = [
    "APIError",
    "BadRequest",
    "Conflict",
    "DatabaseBusy",
    "Forbidden",
    "NotFound",
    "NotReady",
    "PayloadTooLarge",
    "Problem",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "ValidationFailed",
    "envelope",
    "install_error_handlers",
]

logger = logging.getLogger(__name__)

# The server already waited out the busy timeout for the request; the client need not wait long.
BUSY_RETRY_AFTER = "1"


def envelope(error: str, description: str) -> bytes:
    """The one error body: RFC 6749's ``error`` / ``error_description`` shape."""
    return json.dumps({"error": error, "error_description": description}).encode()


class APIError(Exception):
    """An error the client can act on; its status and code travel with it."""

    status_code = 400
    error = "bad_request"

    def __init__(self, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.headers = headers or {}

    def response(self) -> Response:
        return Response(
            envelope(self.error, self.description),
            status=self.status_code,
            headers=self.headers,
            content_type="application/json",
        )


class BadRequest(APIError):
    status_code = 400
    error = "bad_request"


class Unauthorized(APIError):
    status_code = 401
    error = "unauthorized"


class Forbidden(APIError):
    status_code = 403
    error = "forbidden"


class NotFound(APIError):
    status_code = 404
    error = "not_found"


class Conflict(APIError):
    status_code = 409
    error = "conflict"


class PayloadTooLarge(APIError):
    status_code = 413
    error = "payload_too_large"


class UnsupportedMediaType(APIError):
    status_code = 415
    error = "unsupported_media_type"


class ValidationFailed(APIError):
    status_code = 422
    error = "invalid_request"


class TooManyRequests(APIError):
    status_code = 429
    error = "rate_limited"


class NotReady(APIError):
    status_code = 503
    error = "not_ready"


class DatabaseBusy(APIError):
    status_code = 503
    error = "database_busy"


class Problem(APIError):
    """An error of a status and code the handler chooses: ``Problem(410, "gone", "...")``."""

    def __init__(
        self, status: int, code: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"an error's status is 400 to 599, not {status}")
        super().__init__(description, headers)
        self.status_code = status
        self.error = code


def _code_for(exception: HTTPException) -> str:
    """``Method Not Allowed`` -> ``method_not_allowed``."""
    return re.sub(r"[^a-z0-9]+", "_", (exception.name or "error").lower()).strip("_")


def http_error_response(error: HTTPException) -> Response:
    """A framework's HTTP error in the envelope; needs no request context."""
    status = error.code or 500
    response = Response(
        envelope(_code_for(error), error.description or error.name),
        status=status,
        content_type="application/json",
    )
    if status == 405:
        allowed = error.get_headers().copy()
        for name, value in allowed:
            if name.lower() == "allow":
                response.headers["Allow"] = value
    return response


def install_error_handlers(app: Quart) -> None:
    """Render every error, ours or the framework's, in the envelope; never leak a traceback."""
    # Imported here: storage imports config, which imports this module (through asgi).
    from .storage import DatabaseBusyError

    @app.errorhandler(APIError)
    async def handle_api_error(error: APIError) -> Response:
        return error.response()

    @app.errorhandler(DatabaseBusyError)
    async def handle_busy(error: DatabaseBusyError) -> Response:
        return DatabaseBusy(
            "The database is locked by another process; try again shortly.",
            headers={"Retry-After": BUSY_RETRY_AFTER},
        ).response()

    @app.errorhandler(RequestEntityTooLarge)
    async def handle_too_large(error: RequestEntityTooLarge) -> Response:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return PayloadTooLarge(f"The request body is larger than {limit} bytes.").response()

    @app.errorhandler(HTTPException)
    async def handle_http_exception(error: HTTPException) -> Response:
        return http_error_response(error)

    @app.errorhandler(Exception)
    async def handle_unexpected(error: Exception) -> Response:
        logger.exception("unhandled error")
        return Response(
            envelope("server_error", "The server failed to handle this request."),
            status=500,
            content_type="application/json",
        )
