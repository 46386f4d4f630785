"""Serving the files ChatGPT fetches at install time, before Quart sees the request.

The manifest and the spec change only when their files change, so their rendered bytes are
cached per base URL and revalidated by the files' modification time (one ``stat`` a request).
They are answered here, as a bare ASGI response, because going through the framework for a
cached byte string costs more than the rest of the work put together.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .asgi import ASGIApp, Receive, Scope, Send, send_error, send_response
from .config import Settings
from .documents import parse_manifest, parse_spec, render_manifest, render_spec, spec_bytes
from .host_check import send_unknown_host
from .live_file import FileProblem, LiveFile
from .public_url import public_base_url

__all__ = ["Generated", "PluginFiles", "PluginFilesMiddleware", "is_plugin_file"]

JSON = b"application/json"
YAML = b"application/yaml"
NO_CACHE = (b"cache-control", b"no-cache")
MAX_RENDERINGS = 16  # distinct base URLs kept; loopback ports are the only variable part
Generated = tuple[Callable[[str], bytes], bytes]  # (base URL -> body, media type)


def _raw(path: Path, data: bytes) -> bytes:
    return data


class PluginFiles:
    """The plugin's files under ``PLUGIN_ROOT``, each reloaded when it changes on disk."""

    def __init__(self, settings: Settings) -> None:
        root = settings.root
        self.settings = settings
        self.manifest = LiveFile(root / "manifest.json", parse_manifest)
        self.spec = LiveFile(root / "openapi.yaml", parse_spec)
        self.static = root / "static"
        self.well_known = root / ".well-known"
        # Answered by the app in this mode, so a stray file on disk cannot shadow it.
        self.generated = (
            {"oauth-authorization-server", "oauth-protected-resource"}
            if settings.authorization_server
            else set()
        )
        self._raw_files: dict[Path, LiveFile[bytes]] = {}
        self._renderings: dict[tuple[str, str], tuple[tuple[int, ...], bytes]] = {}

    def rendered_spec(self, base_url: str) -> dict[str, Any]:
        return render_spec(self.spec.current(), self.settings, base_url)

    def render(self, name: str, base_url: str) -> bytes:
        """``manifest``, ``spec.yaml`` or ``spec.json`` for ``base_url``, cached."""
        source = self.manifest if name == "manifest" else self.spec
        document = source.current()
        if name == "manifest":
            return self.cached(
                name,
                base_url,
                (source.version,),
                lambda: render_manifest(document, self.settings, base_url),
            )

        def spec() -> bytes:
            as_yaml, as_json = spec_bytes(render_spec(document, self.settings, base_url))
            return as_yaml if name == "spec.yaml" else as_json

        return self.cached(name, base_url, (source.version,), spec)

    def cached(
        self, name: str, base_url: str, versions: tuple[int, ...], make: Callable[[], bytes]
    ) -> bytes:
        """``make()``, kept until a file it was made from changes (``versions``)."""
        key = (name, base_url)
        cached = self._renderings.get(key)
        if cached is not None and cached[0] == versions:
            return cached[1]
        body = make()
        if len(self._renderings) >= MAX_RENDERINGS:
            self._renderings.clear()
        self._renderings[key] = (versions, body)
        return body

    def raw(self, path: Path) -> bytes:
        live = self._raw_files.get(path)
        if live is None:
            live = self._raw_files[path] = LiveFile(path, _raw)
        return live.current()

    def well_known_file(self, name: str) -> Path | None:
        """A file directly inside ``.well-known/``, never anything outside it."""
        if not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
            return None
        if name in self.generated:
            return None
        path = self.well_known / name
        return path if path.is_file() else None


RENDERED: dict[str, tuple[str, bytes]] = {
    "/.well-known/ai-plugin.json": ("manifest", JSON),
    "/openapi.yaml": ("spec.yaml", YAML),
    "/openapi.json": ("spec.json", JSON),
}
STATIC: dict[str, tuple[str, bytes]] = {
    "/logo.png": ("logo.png", b"image/png"),
    "/legal": ("legal.html", b"text/html; charset=utf-8"),
    "/privacy": ("privacy.html", b"text/html; charset=utf-8"),
}


def is_plugin_file(path: str) -> bool:
    """Whether ``path`` is one of the files ChatGPT fetches at install time."""
    return path in RENDERED or path in STATIC or path.startswith("/.well-known/")


def _content_type(path: Path) -> bytes:
    guessed = "application/json" if path.suffix == ".json" else mimetypes.guess_type(path.name)[0]
    return (guessed or "text/plain; charset=utf-8").encode()


class PluginFilesMiddleware:
    """Answers GET and HEAD for the plugin's files; everything else goes on to the app.

    ``generated`` adds documents made from them per base URL: path -> (make, media type).
    """

    def __init__(
        self, app: ASGIApp, files: PluginFiles, generated: Mapping[str, Generated] | None = None
    ) -> None:
        self._app = app
        self._files = files
        self._generated = dict(generated or {})

    def _resolve(self, scope: Scope) -> Callable[[], tuple[bytes, bytes]] | None:
        path: str = scope["path"]
        files = self._files
        if path in RENDERED:
            name, content_type = RENDERED[path]

            def rendered() -> tuple[bytes, bytes]:
                base_url = public_base_url(files.settings, scope)
                if base_url is None:
                    raise _UnknownHostError
                return files.render(name, base_url), content_type

            return rendered
        if path in self._generated:
            make, media_type = self._generated[path]

            def generated() -> tuple[bytes, bytes]:
                base_url = public_base_url(files.settings, scope)
                if base_url is None:
                    raise _UnknownHostError
                return make(base_url), media_type

            return generated
        if path in STATIC:
            filename, content_type = STATIC[path]
            return lambda: (files.raw(files.static / filename), content_type)
        if path.startswith("/.well-known/"):
            found = files.well_known_file(path[len("/.well-known/") :])
            if found is not None:
                return lambda: (files.raw(found), _content_type(found))
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        resolve = self._resolve(scope)
        if resolve is None:
            await self._app(scope, receive, send)
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await send_error(
                send,
                405,
                "method_not_allowed",
                f"{scope['path']} answers GET and HEAD only.",
                [(b"allow", b"GET, HEAD")],
            )
            return
        try:
            body, content_type = resolve()
        except _UnknownHostError:
            await send_unknown_host(send)
            return
        except FileProblem as problem:
            await send_error(
                send,
                503,
                "plugin_file_unavailable",
                f"{problem.path.name} cannot be served: {problem.reason}",
            )
            return
        await send_response(send, 200, body, content_type, [NO_CACHE], head=method == "HEAD")


class _UnknownHostError(Exception):
    pass
