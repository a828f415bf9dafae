"""A tiny static server for the help page (Python standard library only).

    python web/serve.py [--host 127.0.0.1] [--port 8080] [--backend-url URL] [--rasa-url URL]

Serves `web/static/` at `/`, the Socket.IO client from the installed npm
package at `/vendor/socket.io.min.js` (no CDN), and `/config.js`, which tells
the page where the backend (log-in) and the Rasa server (Socket.IO) are. By
default those are the page's own host name on ports 8000 and 5005, so the page
works as http://127.0.0.1:8080 and as http://localhost:8080 (the backend's
CORS default allows both). Every answer carries a Content-Security-Policy that
only allows this server, the backend and the Rasa server: the page cannot load
anything from elsewhere (no web fonts, no CDN, no analytics).

Only the listed files are served: nothing else under web/ (node_modules,
tests, package files) is reachable.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import re
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Optional, Tuple
from urllib.parse import urlsplit

WEB = Path(__file__).resolve().parent
DEFAULT_REPLY_WAIT_MS = 20000  # the widget's "no answer, retry" comes after this
STATIC = WEB / "static"
VENDOR = {
    "/vendor/socket.io.min.js": WEB / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
    "/vendor/socket.io.min.js.map": WEB / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js.map",
}
HOST_RE = re.compile(r"^(?:[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]+\])$")
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".map": "application/json",
    ".json": "application/json",
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _ws(origin: str) -> str:
    return "ws" + origin[4:] if origin.startswith("http") else origin


class Handler(BaseHTTPRequestHandler):
    server_version = "sz-help-page"
    sys_version = ""
    backend_url: Optional[str] = None
    rasa_url: Optional[str] = None
    reply_wait_ms: int = DEFAULT_REPLY_WAIT_MS
    socket_path = "/socket.io/"

    # -- where the page's peers are
    def _hostname(self) -> str:
        host = (self.headers.get("Host") or "").strip()
        if host.startswith("["):  # [::1]:8080
            name = host[: host.index("]") + 1] if "]" in host else ""
        else:
            name = host.split(":", 1)[0]
        return name if HOST_RE.match(name) else "127.0.0.1"

    def _peers(self) -> Tuple[str, str]:
        name = self._hostname()
        backend = self.backend_url or f"http://{name}:8000"
        rasa = self.rasa_url or f"http://{name}:5005"
        return backend.rstrip("/"), rasa.rstrip("/")

    def _csp(self) -> str:
        backend, rasa = (_origin(u) for u in self._peers())
        return "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self'",
                f"img-src 'self' data: {backend}",
                "font-src 'self'",
                f"connect-src 'self' {backend} {rasa} {_ws(_origin(rasa))}",
                "frame-src 'none'",
                "object-src 'none'",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'",
            ]
        )

    def _send(self, status: int, body: bytes, ctype: str, head_only: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", self._csp())
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _config(self) -> bytes:
        backend, rasa = self._peers()
        cfg = {
            "backendUrl": backend,
            "socketUrl": rasa,
            "socketPath": self.socket_path,
            "replyWaitMs": self.reply_wait_ms,
        }
        return f"window.SZ_CONFIG = {json.dumps(cfg)};\n".encode()

    def _resolve(self, path: str) -> Optional[Path]:
        if path in VENDOR:
            return VENDOR[path]
        if path == "/":
            path = "/index.html"
        rel = path.lstrip("/")
        if not rel or ".." in rel.split("/") or rel.startswith("."):
            return None
        target = (STATIC / rel).resolve()
        try:
            target.relative_to(STATIC)
        except ValueError:
            return None
        return target if target.is_file() else None

    def _serve(self, head_only: bool) -> None:
        path = urlsplit(self.path).path
        if path == "/config.js":
            return self._send(HTTPStatus.OK, self._config(), TYPES[".js"], head_only)
        if path == "/healthz":
            return self._send(HTTPStatus.OK, b'{"status":"ok"}', TYPES[".json"], head_only)
        target = self._resolve(path)
        if target is None:
            if path.startswith("/vendor/"):
                msg = b"socket.io-client is not installed: run scripts/setup_web.sh (npm install in web/)\n"
                return self._send(HTTPStatus.NOT_FOUND, msg, "text/plain; charset=utf-8", head_only)
            return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", head_only)
        ctype = TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self._send(HTTPStatus.OK, target.read_bytes(), ctype, head_only)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(True)

    def log_message(self, fmt: str, *args: object) -> None:
        if os.environ.get("SZ_WEB_QUIET") != "1":
            sys.stderr.write("web: %s - %s\n" % (self.address_string(), fmt % args))


def make_server(
    host: str,
    port: int,
    backend_url: Optional[str] = None,
    rasa_url: Optional[str] = None,
    reply_wait_ms: Optional[int] = None,
) -> ThreadingHTTPServer:
    attrs: Dict[str, object] = {
        "backend_url": backend_url,
        "rasa_url": rasa_url,
        "reply_wait_ms": int(reply_wait_ms or DEFAULT_REPLY_WAIT_MS),
    }
    handler = type("ConfiguredHandler", (Handler,), attrs)
    ThreadingHTTPServer.allow_reuse_address = True
    return ThreadingHTTPServer((host, port), handler)


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default=os.environ.get("SZ_WEB_HOST", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(os.environ.get("SZ_WEB_PORT", "8080")))
    ap.add_argument(
        "--backend-url",
        default=os.environ.get("SZ_WEB_BACKEND_URL"),
        help="backend as the browser reaches it (default: http://<page host>:8000)",
    )
    ap.add_argument(
        "--rasa-url",
        default=os.environ.get("SZ_WEB_RASA_URL"),
        help="Rasa server as the browser reaches it (default: http://<page host>:5005)",
    )
    ap.add_argument(
        "--reply-wait-ms",
        type=int,
        default=int(os.environ.get("SZ_WEB_REPLY_WAIT_MS", DEFAULT_REPLY_WAIT_MS)),
        help="how long the widget waits for a reply before it offers a retry",
    )
    args = ap.parse_args(argv)
    if not VENDOR["/vendor/socket.io.min.js"].is_file():
        print("web: warning: web/node_modules/socket.io-client is missing; run scripts/setup_web.sh", file=sys.stderr)
    httpd = make_server(args.host, args.port, args.backend_url, args.rasa_url, args.reply_wait_ms)
    print(f"web: help page on http://{args.host}:{httpd.server_address[1]}/", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
