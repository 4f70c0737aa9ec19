"""The interactive ``/docs`` page of ``pypwext serve``: Swagger UI, offline.

Swagger UI's assets come from the ``swagger-ui-py`` package (the ``serve`` extra:
``pip install -e '.[serve]'`` in a checkout); the server serves them itself under ``/docs/``,
so the page needs no network and no CDN. The page loads ``/openapi.json``, whose ``servers``
names the origin the page came from, so "Try it out" calls this server. Without the package,
``/docs`` is the plain page of :mod:`pypwext.tools._local.docs_page`, with a line that says how to
get the interactive one.
"""

from __future__ import annotations

import html
import importlib.util
import os

__all__ = ["ASSETS", "CSP", "INSTALL_HINT", "asset", "available", "page"]

ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
"""The files of Swagger UI the page uses (served as ``/docs/NAME``), with their media types."""

INSTALL_HINT = (
    "For the interactive page (Swagger UI, offline), install the serve extra: "
    "pip install -e '.[serve]' in a checkout of pypwext, or pip install swagger-ui-py."
)

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
)
"""The page's Content-Security-Policy: nothing but this server (the assets are local)."""

INIT = b"""window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  displayOperationId: true,
  defaultModelsExpandDepth: 1,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
"""


def _static_dir() -> str | None:
    try:
        spec = importlib.util.find_spec("swagger_ui")  # found, not imported (it pulls in jinja2)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    static = os.path.join(next(iter(spec.submodule_search_locations)), "static")
    return static if os.path.isfile(os.path.join(static, "swagger-ui-bundle.js")) else None


def available() -> bool:
    """Whether Swagger UI's assets are installed."""
    return _static_dir() is not None


def asset(name: str) -> tuple[bytes, str] | None:
    """``(content, media type)`` of ``/docs/NAME``; ``None`` for anything else."""
    if name == "init.js":
        return INIT, "text/javascript; charset=utf-8"
    static = _static_dir()
    if static is None or name not in ASSETS:
        return None
    with open(os.path.join(static, name), "rb") as file:
        return file.read(), ASSETS[name]


def page(title: str) -> str:
    """The HTML of the Swagger UI page."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<link rel='icon' type='image/png' href='/docs/favicon-32x32.png'>"
        "<link rel='stylesheet' href='/docs/swagger-ui.css'></head><body>"
        "<div id='swagger-ui'></div>"
        "<script src='/docs/swagger-ui-bundle.js'></script><script src='/docs/init.js'></script>"
        "<noscript><p>This page needs JavaScript; <a href='/docs/plain'>the plain page</a> does not.</p>"
        "</noscript></body></html>"
    )
