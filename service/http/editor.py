"""The editor page (``GET /``) and its static files (``/static/...``), among them the JavaScript
client ``/static/newsbridge.js``. Plain files shipped as package data: nothing to build, no CDN.

The page is served with a strict Content-Security-Policy: scripts, styles and requests only from
this origin, no inline code, no plugins, no framing by other sites. Translated HTML is previewed
in a sandboxed ``srcdoc`` iframe (no ``allow-scripts``), which inherits this policy."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "frame-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
               ".js": "text/javascript; charset=utf-8"}
STATIC_FILES = ("editor.css", "editor.js", "render.js", "messages.js", "newsbridge.js", "memory.js", "memory.css",
                "glossary.js", "words.js", "words.css")


def read_static(name: str) -> bytes:
    """One file of ``service/http/static`` (installed as package data)."""
    return resources.files("service.http").joinpath("static", name).read_bytes()


def _file(name: str) -> Response:
    suffix = name[name.rfind("."):]
    return Response(read_static(name), media_type=MEDIA_TYPES[suffix],
                    headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})


@router.get("/")
def editor_page() -> Response:
    """The editor page."""
    return _file("index.html")


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    """The page's scripts and styles, and the JavaScript client."""
    if name not in STATIC_FILES:
        raise HTTPException(404, "Not Found")  # a not_found problem, like every unknown path
    return _file(name)
