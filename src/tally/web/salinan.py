"""`/salinan/{tps}.pdf`: the printable copy of a TPS's result (public, like the TPS page it mirrors)."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import Response

from reconcile.ids import InvalidCode, parse_tps_id
from tally.errors import NotFound
from tally.review.salinan import salinan_pdf
from tally.web import queries
from tally.web.officer_common import guarded, services_of


def register(router: APIRouter) -> None:
    @router.get("/salinan/{tps}.pdf")
    async def salinan(request: Request, tps: str) -> Response:
        def go() -> Response:
            services = services_of(request)
            try:
                tps_id = parse_tps_id(tps)
                with services.sessions() as s:
                    body = salinan_pdf(
                        s, services.contest, tps_id, services.store, str(request.base_url).rstrip("/")
                    )
            except (InvalidCode, queries.NotFound) as exc:
                raise NotFound("unknown_tps", f"TPS tidak ditemukan: {tps}") from exc
            headers = {
                "Cache-Control": "public, max-age=15",
                "Content-Disposition": f'inline; filename="salinan-{tps_id}.pdf"',
            }
            return Response(body, media_type="application/pdf", headers=headers)

        return await to_thread.run_sync(guarded, request, go)
