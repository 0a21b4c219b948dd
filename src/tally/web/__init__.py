"""Server-rendered pages (Jinja2 + htmx, no SPA): the public recap, the audit head, exports."""

from tally.web.routes import build_web_router

__all__ = ["build_web_router"]
