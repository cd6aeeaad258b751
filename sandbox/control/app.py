"""The `/_sandbox` sub-app: the control API, the worlds and grades endpoints, and the inspector.

Kept apart from the route modules so that none of them imports another to be mounted: `worlds`
builds on `routes`' helpers, and this module mounts both.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.control.routes import routes
from sandbox.control.ui import add_ui
from sandbox.control.worlds import routes as world_routes
from sandbox.grading.routes import routes as grade_routes


def make_app() -> web.Application:
    """The control sub-app."""
    app = web.Application()
    app.add_routes(routes)
    app.add_routes(grade_routes)
    app.add_routes(world_routes)
    add_ui(app)
    return app
