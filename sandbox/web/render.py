"""Page rendering: one Jinja2 environment for every HTML page the sandbox serves, and the helpers
page handlers call.

Templates are found by name: `base.html` and `error.html` here, and `<source>/<file>` for each
folder handed in (each provider's `templates/`, the partner pages', the inspector's, the grade
pages'). They are compiled once when the application is built (no disk read per request) and
rendered with autoescape on, so a depositor's name or a payment title can never become markup.
A page's state goes into the page through `|tojson` in the base layout
(`<script id="page-state">`), the one place JSON meets HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
#: Where the shared stylesheet and toolkit are served, from the root application.
STATIC_URL = "/static"
NO_STORE = {"Cache-Control": "no-store"}


def make_environment(sources: Mapping[str, Path]) -> jinja2.Environment:
    """The environment: the shared templates, plus each source's folder under its name as a prefix.

    Every template is compiled here, once, so a broken template fails at start and no request
    reads a template file.
    """
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(TEMPLATES),
        jinja2.PrefixLoader({name: jinja2.FileSystemLoader(folder) for name, folder in sources.items()
                             if folder.is_dir()}),
    ])
    env = jinja2.Environment(loader=loader, autoescape=True, auto_reload=False, cache_size=-1,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    # Unicode stays readable in page state; `tojson` still escapes <, >, & and ' for HTML.
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)
    return env


def setup(apps: Iterable[web.Application], env: jinja2.Environment) -> None:
    """Register the one environment on every application that renders pages (sub-apps included)."""
    for app in apps:
        app[aiohttp_jinja2.APP_KEY] = env


def mount_static(app: web.Application) -> None:
    """Serve the shared stylesheet and toolkit at `/static/` on the root application."""
    app.router.add_static(STATIC_URL, STATIC, append_version=False)


def render(request: web.Request, template: str, context: Mapping | None = None, *,
           status: int = 200) -> web.Response:
    """A rendered page; pages show live state, so none is cached."""
    response = aiohttp_jinja2.render_template(template, request, dict(context or {}), status=status)
    response.headers.update(NO_STORE)
    return response


def error_page(request: web.Request, brand: str, message: str, *, status: int = 404,
               title: str | None = None) -> web.Response:
    """The one HTML error page every provider's hosted pages use (unknown id, expired page, …)."""
    return render(request, "error.html", {"brand": brand, "message": message, "status": status,
                                          "title": title or f"{brand} · not found"}, status=status)
