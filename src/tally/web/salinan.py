"""`/salinan/{tps}.pdf`: the printable copy of a TPS's result (public, like the TPS page it mirrors)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tally.web.officer_common import services_of
from tally.web.pages import PUBLIC_PAGES
from tally.web.routes import parse_tps
from tally.web.salinan_pdf import salinan_pdf

router = APIRouter(tags=[PUBLIC_PAGES])  # public, like the TPS page it mirrors: public error pages


@router.get("/salinan/{tps}.pdf")
def salinan(request: Request, tps: str) -> Response:
    """The public address printed on the copy is the configured one (`TALLY_PUBLIC_URL`), never the request's
    Host header (anyone can send any Host); without it the copy names the path alone."""
    services = services_of(request)
    tps_id = parse_tps(tps)
    with services.sessions() as s:
        body = salinan_pdf(
            s, services.contest, tps_id, services.store, services.settings.public_url.rstrip("/")
        )
    headers = {
        "Cache-Control": "public, max-age=15",
        "Content-Disposition": f'inline; filename="salinan-{tps_id}.pdf"',
    }
    return Response(body, media_type="application/pdf", headers=headers)
