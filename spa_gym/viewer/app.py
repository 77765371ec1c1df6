"""The viewer's web app (Starlette) and its server (uvicorn).

Routes: ``/`` the page; ``/static/*`` its assets (shipped in the package); ``/api/run``, ``/api/episodes``,
``/api/episode``, ``/api/reports`` JSON; ``/files/PATH`` a file of the run folder (images, reports),
streamed, under a sandboxing Content-Security-Policy so a hostile file cannot run script on the page.
Only GET and HEAD; the Host header must name the loopback address unless the server was started for
other hosts (a guard against DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from spa_gym.viewer.runs import Forbidden, RunFolder

STATIC = Path(__file__).parent / "static"
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
FILTERS = ("env_id", "task_type", "split", "reward_mode", "source")
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


class SecurityHeaders:
    """Adds the headers every response carries (pure ASGI: streamed bodies stay streamed)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = FILE_CSP if scope["path"].startswith("/files/") else PAGE_CSP

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"]
                headers += [(b"content-security-policy", csp.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
                            (b"cache-control", b"no-store")]
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(root: str | os.PathLike, allowed_hosts: list[str] | None = None) -> Starlette:
    """The viewer over run folder ``root``; ``allowed_hosts`` for the Host check (default: loopback only)."""
    run = RunFolder(root)

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def api_run(request: Request) -> Response:
        rows = run.rows()
        values = {key: sorted({r[key] for r in rows if r["error"] is None and r[key]}) for key in FILTERS}
        return JSONResponse({"name": run.root.name, "episodes": sum(r["error"] is None for r in rows),
                             "errors": sum(r["error"] is not None for r in rows),
                             "files": [run.relative(p) for p in run.episode_files()], "filters": values})

    async def api_episodes(request: Request) -> Response:
        q = request.query_params
        rows = run.rows()
        for key in FILTERS:
            if q.get(key):
                rows = [r for r in rows if r["error"] is not None or r[key] == q[key]]
        if q.get("won") in ("true", "false"):
            rows = [r for r in rows if r["error"] is not None or r["won"] == (q["won"] == "true")]
        try:
            offset, limit = max(0, int(q.get("offset", 0))), min(1000, max(1, int(q.get("limit", 200))))
        except ValueError:
            return JSONResponse({"error": "offset and limit must be integers"}, status_code=400)
        page = [{k: v for k, v in r.items() if k != "offset"} for r in rows[offset: offset + limit]]
        return JSONResponse({"total": len(rows), "offset": offset, "rows": page})

    async def api_episode(request: Request) -> Response:
        try:
            line = int(request.query_params.get("line", ""))
        except ValueError:
            return JSONResponse({"error": "line must be an integer"}, status_code=400)
        return JSONResponse(run.episode(request.query_params.get("file", ""), line))

    async def api_reports(request: Request) -> Response:
        return JSONResponse(run.reports())

    async def files(request: Request) -> Response:
        return FileResponse(run.resolve(request.path_params["path"]))

    async def forbidden(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "forbidden"}, status_code=403)

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "not found"}, status_code=404)

    routes = [
        Route("/", index, methods=["GET", "HEAD"]),
        Route("/api/run", api_run, methods=["GET"]),
        Route("/api/episodes", api_episodes, methods=["GET"]),
        Route("/api/episode", api_episode, methods=["GET"]),
        Route("/api/reports", api_reports, methods=["GET"]),
        Route("/files/{path:path}", files, methods=["GET", "HEAD"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders),
                  Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOOPBACK_HOSTS)]
    return Starlette(routes=routes, middleware=middleware,
                     exception_handlers={Forbidden: forbidden, FileNotFoundError: not_found})


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def make_server(root: str | os.PathLike, host: str = "127.0.0.1", port: int = 8765, *, allow_remote: bool = False,
                warn: Callable[[str], None] = print) -> Any:
    """A ``uvicorn.Server`` for the viewer over ``root`` (call ``.run()``).

    Binds the loopback address by default. Any other address exposes the run folder to the network, so it
    needs ``allow_remote=True`` and prints a warning through ``warn``.
    """
    import uvicorn

    if not Path(root).is_dir():
        raise FileNotFoundError(f"run folder not found: {root}")
    allowed = None
    if not is_loopback(host):
        if not allow_remote:
            raise ValueError(f"--host {host} would serve {root} to other machines; add --allow-remote to do so")
        warn(f"warning: serving {root} on {host}:{port}, reachable from other machines; anyone who can reach "
             f"it can read every file in that folder")
        allowed = ["*"]
    app = create_app(root, allowed_hosts=allowed)
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))


__all__ = ["create_app", "is_loopback", "make_server"]
