"""The Partner CRM simulator pages (`/partner/liqx/payin`, `/partner/liqx/payout`) and the landing page.

One HTML template serves both simulator pages; the wording and form defaults come from
`sandbox.partner.texts`, escaped here, and the same data is embedded as JSON for the page script.
The landing page at `/` links every provider's base URL, the simulator pages and the inspector.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from aiohttp import web

from sandbox.engine import Sandbox
from sandbox.keys import SANDBOX
from sandbox.partner.texts import PAGES

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

routes = web.RouteTableDef()
landing_routes = web.RouteTableDef()

_INPUT_TYPES = {"email": "email", "url": "url", "amount": "text", "text": "text", "ref": "text"}


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _steps(page: dict) -> str:
    items = []
    for n, (key, title, line) in enumerate(page["steps"], start=1):
        items.append(
            f'<li class="step" data-testid="step-{key}" data-state="pending">'
            f'<span class="step-n" aria-hidden="true">{n}</span>'
            f'<div class="step-body"><h3 data-testid="step-{key}-title">{_e(title)}</h3>'
            f'<p data-testid="step-{key}-detail">{_e(line)}</p></div></li>')
    return "\n".join(items)


def _fields(page: dict) -> str:
    rows = []
    for name, label, default, placeholder, kind in page["fields"]:
        ident = f"field-{name}"
        if kind == "fixed":
            rows.append(f'<div class="field"><label for="{ident}">{_e(label)}</label>'
                        f'<input id="{ident}" name="{_e(name)}" data-testid="{ident}" value="{_e(default)}" readonly>'
                        f'</div>')
            continue
        extra = ' inputmode="decimal"' if kind == "amount" else ""
        extra += ' data-generate="demo-ms"' if kind == "ref" else ""
        # Long values (references, URLs, hint placeholders) get the full row so nothing is cut off.
        wide = " wide" if kind in ("ref", "url") or placeholder else ""
        rows.append(f'<div class="field{wide}"><label for="{ident}">{_e(label)}</label>'
                    f'<input id="{ident}" name="{_e(name)}" data-testid="{ident}" type="{_INPUT_TYPES[kind]}"'
                    f' value="{_e(default)}" placeholder="{_e(placeholder)}" autocomplete="off"'
                    f' spellcheck="false"{extra}></div>')
    return "\n".join(rows)


def _scenarios(page: dict) -> str:
    notes = "".join(f'<p class="note" data-testid="scenario-note">{_e(n)}</p>' for n in page["scenario_notes"])
    choices = []
    for index, (name, label, badge, expected, description) in enumerate(page.get("scenarios", [])):
        checked = " checked" if index == 0 else ""
        choices.append(
            f'<label class="choice" data-testid="scenario-option-{name}">'
            f'<input type="radio" name="scenario" value="{name}" data-testid="scenario-{name}"{checked}>'
            f'<span class="choice-text"><span class="choice-head"><strong>{_e(label)}</strong>'
            f'<span class="badge">{_e(badge)}</span></span>'
            f'<span class="choice-desc">{_e(description)}</span>'
            f'<span class="choice-meta">scenario {name} · expected webhook {_e(expected)}</span></span></label>')
    chooser = f'<fieldset class="choices" data-testid="scenario-chooser"><legend class="sr-only">PAYOUT scenario' \
              f'</legend>{"".join(choices)}</fieldset>' if choices else ""
    options = "".join(f'<option value="{_e(value)}">{_e(label)}</option>' for value, label in page["webhook_scenarios"])
    rehearsal = (f'<div class="field"><label for="webhook-scenario">{_e(page["webhook_scenario_label"])}</label>'
                 f'<select id="webhook-scenario" data-testid="webhook-scenario">{options}</select></div>')
    return notes + chooser + rehearsal


def _states(page: dict) -> str:
    return "".join(f'<li data-testid="state-{s}" data-state="{s}">{s}</li>' for s in page["states"])


def render(kind: str) -> str:
    """The simulator page for `payin` or `payout`."""
    page = PAGES[kind]
    blocks = {
        "steps_html": _steps(page), "fields_html": _fields(page), "scenario_html": _scenarios(page),
        "states_html": _states(page),
        "config_json": json.dumps(page, ensure_ascii=False).replace("<", "\\u003c"),
    }
    text = (TEMPLATES / "simulator.html").read_text(encoding="utf-8")
    for key, value in blocks.items():
        text = text.replace("{{" + key + "}}", value)
    for key, value in page.items():
        if isinstance(value, str):
            text = text.replace("{{" + key + "}}", _e(value))
    return text


def _page(body: str) -> web.Response:
    return web.Response(text=body, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-store"})


@routes.get("/liqx/payin")
async def payin_page(request: web.Request) -> web.Response:
    """The PAYIN simulator (seed 000)."""
    return _page(render("payin"))


@routes.get("/liqx/payout")
async def payout_page(request: web.Request) -> web.Response:
    """The PAYOUT simulator (seed 001)."""
    return _page(render("payout"))


@routes.get("/")
async def partner_index(request: web.Request) -> web.Response:
    """`/partner/` has nothing of its own: the landing page lists both simulator pages."""
    raise web.HTTPFound("/")


def _landing(sb: Sandbox) -> str:
    rows = []
    for name, provider in sb.providers.items():
        described = provider.describe(sb)
        links = []
        for key, value in described.items():
            if isinstance(value, str) and value.startswith("http") and (key.endswith("url") or key.endswith("base")):
                links.append(f'<li><span class="k">{_e(key)}</span> <a href="{_e(value)}">{_e(value)}</a></li>')
        rows.append(f'<section class="card" data-testid="provider-{_e(name)}"><h2>{_e(provider.title)}</h2>'
                    f'<ul class="links">{"".join(links) or "<li>see /_sandbox/config</li>"}</ul></section>')
    text = (TEMPLATES / "landing.html").read_text(encoding="utf-8")
    return text.replace("{{providers_html}}", "\n".join(rows)).replace("{{base_url}}", _e(sb.base_url))


@landing_routes.get("/")
async def landing(request: web.Request) -> web.Response:
    """The sandbox's front door: providers' bases, the simulator pages, the inspector."""
    return _page(_landing(request.config_dict[SANDBOX]))
