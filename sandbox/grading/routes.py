"""Grades in the control API (SPEC §15): `POST /_sandbox/grades`, `GET /_sandbox/grades[/{id}]`, and the page.

`POST` runs the whole battery before answering (a grade takes as long as the receiver's slowest
case, at most a few tens of seconds) and answers 201 with the report, which is kept: `GET` reads
it back, `/_sandbox/ui/grades` lists kept grades and `/_sandbox/ui/grades/{id}` shows one with
every attempt. Every route acts in the addressed world (`X-Sandbox-World` or `?world=`): the
grade signs with that world's secrets and its report is kept there, while the webhooks are sent
from a world made for the grade — or from the existing world the body's `world` names.
"""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import quote, urlsplit

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sandbox.control.openapi import accepts
from sandbox.errors import NotFound, ValidationFailed
from sandbox.grading import page, state
from sandbox.grading.cases import CASES
from sandbox.grading.records import get_grade, list_grades
from sandbox.grading.runner import GradeRequest, run_grade
from sandbox.keys import sandbox_for
from sandbox.validation import parse_query, query_int, query_text, read_model, takes_query
from sandbox.web.render import render

routes = web.RouteTableDef()


class GradeBody(BaseModel):
    """`POST /_sandbox/grades`: which provider's webhooks, to which endpoint, which cases, which view."""

    model_config = ConfigDict(extra="forbid")
    provider: str = Field(min_length=1, max_length=64)
    target: str = Field(min_length=1, max_length=2048)
    cases: list[str] | None = Field(None, min_length=1, max_length=len(CASES))
    state_url: str | None = Field(None, min_length=1, max_length=2048)
    world: str | None = Field(None, min_length=1, max_length=255,
                              description="grade inside this existing world (kept, with the grade's rows); "
                                          "absent: a world made for the grade and deleted after it")

    @field_validator("target")
    @classmethod
    def _target_is_http(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL")
        try:
            address = ipaddress.ip_address(parts.hostname.strip("[]"))
        except ValueError:
            return value
        if address.is_link_local:
            raise ValueError("link-local and metadata addresses are never a webhook destination")
        return value

    @field_validator("cases")
    @classmethod
    def _known_cases(cls, value: list[str] | None) -> list[str] | None:
        unknown = [name for name in value or [] if name not in CASES]
        if unknown:
            raise ValueError(f"unknown case {unknown[0]!r}; cases are {', '.join(CASES)}")
        return value

    @field_validator("state_url")
    @classmethod
    def _state_template(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                state.check_template(value)
            except state.BadTemplate as exc:
                raise ValueError(str(exc)) from exc
        return value


def _json(value, status: int = 200) -> web.Response:
    return web.json_response(value, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


@routes.post("/grades")
@accepts(GradeBody, status=201)
async def create(request: web.Request) -> web.Response:
    """Run a grade now for the addressed world and answer with its report (201); 404 for an unknown `world`."""
    sb = sandbox_for(request)
    parsed = await read_model(request, GradeBody, what="a grade request")
    provider = sb.providers.get(parsed.provider)
    if provider is None or provider.grading is None:
        raise ValidationFailed(f"unknown provider {parsed.provider!r}",
                               details=[{"field": "/provider", "issue": f"must be one of {', '.join(sb.providers)}"}])
    cases = tuple(parsed.cases) if parsed.cases else CASES
    report = await run_grade(sb, GradeRequest(parsed.provider, parsed.target, cases, parsed.state_url, parsed.world))
    report["inspector_url"] = (f"{sb.base_url}/_sandbox/ui/grades/{quote(report['id'], safe='')}"
                               f"{page.page_query(None, sb.world.id)}")
    return _json(report, 201)


class GradesQuery(BaseModel):
    """`GET /_sandbox/grades`: one provider's grades or all, newest first, at most `limit`."""

    provider: query_text(64) = None
    limit: query_int(1, 100) = 20


@routes.get("/grades")
@takes_query(GradesQuery)
async def index(request: web.Request) -> web.Response:
    """The addressed world's kept grades, newest first (`?provider=`, `?limit=` up to 100)."""
    sb = sandbox_for(request)
    query = parse_query(GradesQuery, request.query)
    return _json({"data": await sb.store.read(list_grades, query.provider, query.limit)})


async def _kept(request: web.Request) -> dict:
    sb = sandbox_for(request)
    report = await sb.store.read(get_grade, request.match_info["grade_id"])
    if report is None:
        raise NotFound(f"grade {request.match_info['grade_id']!r} not found")
    return report


@routes.get("/grades/{grade_id}")
async def show(request: web.Request) -> web.Response:
    """One kept report."""
    return _json(await _kept(request))


@routes.get("/ui/grades")
async def index_page(request: web.Request) -> web.Response:
    """The inspector's list of the addressed world's kept grades (the latest 100)."""
    sb = sandbox_for(request)
    grades = await sb.store.read(list_grades, None, 100)
    return render(request, "grading/grades.html",
                  page.index_context(grades, request.query.get("admin_token"), sb.world.id))


@routes.get("/ui/grades/{grade_id}")
async def show_page(request: web.Request) -> web.Response:
    """The inspector's grade page: every case, its verdict, and each of its attempts."""
    report = await _kept(request)
    return render(request, "grading/grade.html",
                  page.grade_context(report, request.query.get("admin_token"), sandbox_for(request).world.id))
