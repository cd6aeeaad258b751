"""The sandbox's web layer shared by every page: the Jinja2 environment, the base layout, the error
page, the shared stylesheet and the shared ES module (`/static/toolkit.js`)."""
