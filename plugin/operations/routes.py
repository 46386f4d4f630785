"""The spec as the router: each operation a Werkzeug rule in the app's own URL map, rebuilt
when the spec (or, with ``PLUGIN_RELOAD_HANDLERS``, ``handlers.py``) changes.

The rules live in Quart's map beside the server's own routes, so what Quart does for a route
applies to an operation unchanged: authentication and rate limits (``before_request`` hooks
keyed by the endpoint), CORS, the error envelope, 404 for an unknown path and 405 with ``Allow``
for a known path and another method, automatic HEAD and OPTIONS. All operations share one view,
which finds its operation on the matched rule. A new spec version builds a new map (the
server's own rules copied, the operations' compiled) and swaps it in whole between requests;
a request already routed keeps the map it was matched in.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from quart import Quart, Request, g, request
from quart.routing import QuartRule
from werkzeug.exceptions import NotFound as WerkzeugNotFound
from werkzeug.routing import BaseConverter, Map

from ..asgi import ASGIApp, Receive, Scope, Send
from ..limits.callers import Callers
from ..live_file import FileProblem, LiveFile
from ..state import app_state
from .answers import answer, check_answer
from .binding import read_arguments
from .caller import Caller
from .compiled import Operation, OperationsProblem, compile_operations
from .handlers import Handlers
from .parameters import READERS, NotCoercible

__all__ = ["LiveOperations", "NumberSegment", "OperationRule", "Router"]

logger = logging.getLogger(__name__)

ENDPOINT = "operation:"  # + operationId; no "." in it, which Quart would read as a blueprint
NO_RESOURCE = object()  # a path segment of a number outside the parameter's type or bounds


class NumberSegment(BaseConverter):
    """A path segment that is a number of the parameter's type and within its bounds; any other
    segment names no resource (404), as an ``int`` route did: text does not match the rule, and
    a number out of bounds is :data:`NO_RESOURCE`, which the view answers 404."""

    weight = 50  # as Werkzeug's own number converters: tried before a text segment

    def __init__(
        self,
        map: Map,  # noqa: A002 (Werkzeug's name)
        integer: bool = True,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_minimum: float | None = None,
        exclusive_maximum: float | None = None,
    ) -> None:
        super().__init__(map)
        low = [bound for bound in (minimum, exclusive_minimum) if bound is not None]
        signed = "" if low and min(low) >= 0 else "-?"
        self.regex = signed + (r"[0-9]+" if integer else r"[0-9][0-9.eE+-]*")
        self._read = READERS["integer" if integer else "number"]
        self._bounds = (minimum, maximum, exclusive_minimum, exclusive_maximum)

    def to_python(self, value: str) -> Any:
        """The number, or :data:`NO_RESOURCE` (the view's 404). Not ``ValidationError``:
        Werkzeug converts after choosing the rule, and its NoMatch then carries the methods of
        the path's other operations tried before it: a 405 for ``DELETE /bookmarks/0``."""
        try:
            number = self._read(value)
        except NotCoercible:
            return NO_RESOURCE
        minimum, maximum, above, below = self._bounds
        if (
            (minimum is not None and number < minimum)
            or (maximum is not None and number > maximum)
            or (above is not None and number <= above)
            or (below is not None and number >= below)
        ):
            return NO_RESOURCE
        return number


class OperationRule(QuartRule):
    """A rule that carries the operation it routes to."""

    def __init__(self, operation: Operation) -> None:
        super().__init__(
            operation.rule,
            methods={operation.method, "OPTIONS"},
            endpoint=ENDPOINT + operation.operation_id,
            provide_automatic_options=operation.method != "OPTIONS",
        )
        self.operation = operation


def _copy(rule: QuartRule) -> QuartRule:
    """An unbound copy of one of the server's own rules (``Rule.empty`` passes QuartRule
    arguments it does not take)."""
    return QuartRule(
        rule.rule,
        defaults=dict(rule.defaults) if rule.defaults else None,
        subdomain=rule.subdomain,
        methods=rule.methods,
        endpoint=rule.endpoint,
        strict_slashes=rule.strict_slashes,
        merge_slashes=rule.merge_slashes,
        host=rule.host,
        websocket=rule.websocket,
        provide_automatic_options=getattr(rule, "provide_automatic_options", False),
    )


class LiveOperations:
    """The operations of the spec and handlers as they are now; the last good ones on a bad
    edit, with ``problem`` saying why (logged once)."""

    def __init__(
        self, spec: LiveFile[dict[str, Any]], handlers: LiveFile[Handlers], reload: bool
    ) -> None:
        self._spec = spec
        self._handlers = handlers
        self._reload = reload
        self._loaded: Handlers = handlers.current()  # start-up: FileProblem if it cannot load
        self._key = (spec.version, handlers.version)
        self.problem: str | None = None
        try:
            current = spec.current()
        except FileProblem:  # broken since start-up: plugin_files answers 503 for the spec
            self.operations: tuple[Operation, ...] = ()
            return
        self.operations = compile_operations(current, self._loaded)

    def problems(self) -> list[str]:
        """Why the operations served are not what the files say now, one line each."""
        found = [str(self._handlers.problem)] if self._handlers.problem else []
        return found + ([self.problem] if self.problem else [])

    def refresh(self) -> bool:
        """Follow the files; True when the operations changed."""
        try:
            spec = self._spec.current()
        except FileProblem:  # never loaded; plugin_files answers 503 for it
            return False
        if self._reload:
            self._loaded = self._handlers.current()
        key = (self._spec.version, self._handlers.version)
        if key == self._key:
            return False
        self._key = key
        try:
            operations = compile_operations(spec, self._loaded)
        except OperationsProblem as problem:
            if str(problem) != self.problem:
                logger.error("%s (serving the last good version)", problem)
            self.problem = str(problem)
            return False
        if self.problem is not None:
            logger.info("the operations match their handlers again")
        self.problem = None
        self.operations = operations
        return True


class Router:
    """Keeps the app's URL map on the current operations and answers them."""

    def __init__(
        self, app: Quart, live: LiveOperations, callers: Callers, check_responses: bool
    ) -> None:
        self._app = app
        self._state = app_state(app)
        self._live = live
        self._callers = callers
        self._check = check_responses
        app.url_map.converters["number"] = NumberSegment
        self._own = [cast(QuartRule, rule) for rule in app.url_map.iter_rules()]
        self._publish()

    def _publish(self) -> None:
        app = self._app
        old = app.url_map
        new = type(old)(
            default_subdomain=old.default_subdomain,
            strict_slashes=old.strict_slashes,
            merge_slashes=old.merge_slashes,
            redirect_defaults=old.redirect_defaults,
            converters=old.converters,
            host_matching=old.host_matching,
        )
        for rule in self._own:
            new.add(_copy(rule))
        endpoints = set()
        for operation in self._live.operations:
            rule = OperationRule(operation)
            new.add(rule)
            endpoints.add(rule.endpoint)
            app.view_functions[rule.endpoint] = self.view
        new.update()
        app.url_map = new
        for endpoint in [name for name in app.view_functions if name.startswith(ENDPOINT)]:
            if endpoint not in endpoints:
                del app.view_functions[endpoint]

    def following(self, asgi: ASGIApp) -> ASGIApp:
        """``asgi`` with the map brought up to date before each request is routed."""
        live, publish = self._live, self._publish

        async def follow(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and live.refresh():
                publish()
            await asgi(scope, receive, send)

        return follow

    async def view(self, **path_values: Any) -> Any:
        """Every operation's view: check the request, call the handler, encode its answer."""
        # The request (and ``g``) itself, not its context-local proxy: each access through the
        # proxy is a context lookup, and a request reads a dozen attributes.
        current = cast(Request, request._get_current_object())  # type: ignore[attr-defined]
        operation: Operation = cast(OperationRule, current.url_rule).operation
        if any(value is NO_RESOURCE for value in path_values.values()):
            raise WerkzeugNotFound()
        values = await read_arguments(operation, current, path_values)
        takes = operation.takes
        if "caller" in takes:
            identity = g._get_current_object().identity
            scope, callers = cast(Scope, current.scope), self._callers
            values["caller"] = Caller(identity, lambda: callers.chatgpt_user(identity, scope))
        if "db" in takes:
            values["db"] = self._state.open_store.database
        result = await operation.handler(**{name: values[name] for name in takes})
        if self._check:
            check_answer(operation, result)
        return answer(result)
