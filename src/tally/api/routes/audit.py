"""The feed of signed audit-chain heads: append-only, public, for third parties to keep (docs/audit.md).

An observer polls `GET /api/v1/audit/heads?after=<last id kept>`, appends what is new to its copy and runs
`tally audit verify --head feed.json` (with the operator's public key): a head it kept that the chain no
longer ends in proves a rewrite; a head beyond the chain's end proves a truncation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from tally.api.deps import ServicesDep, SessionDep
from tally.api.routes.common import ERRORS
from tally.audit.log import heads_feed

router = APIRouter(tags=["audit"], responses=ERRORS)


class HeadOut(BaseModel):
    id: int = Field(description="position in the feed (audit_head.id): ascending, never reused")
    seq: int = Field(description="the chain entry this head signs")
    hash: str = Field(description="that entry's SHA-256 hash (hex)")
    signature: str = Field(description="Ed25519 over tally-audit-head:v1:{seq}:{hash} (hex)")
    public_key: str = Field(description="the key that signed it (hex); trust only the operator's")
    signed_at: str


class HeadsOut(BaseModel):
    public_key: str = Field(description="the operator's pinned public key (TALLY_AUDIT_PUBLIC_KEY), or empty")
    heads: list[HeadOut]
    next_after: int | None = Field(description="pass as `after` for the next page; null at the end")


@router.get("/audit/heads", response_model=HeadsOut)
def get_heads(
    session: SessionDep,
    services: ServicesDep,
    response: Response,
    # Bounded like the id column (INTEGER on PostgreSQL): a larger one is a 422, not an overflow (a 500).
    after: Annotated[int, Query(ge=0, le=2**31 - 1, description="only heads with a greater id")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> HeadsOut:
    """Every signed head of the audit chain, oldest first (append-only: keep them)."""
    page = heads_feed(session, after, limit)
    response.headers["Cache-Control"] = "public, max-age=30"
    return HeadsOut(
        public_key=services.settings.audit_public_key,
        heads=[HeadOut(id=i, **h.as_dict()) for i, h in page],
        next_after=page[-1][0] if len(page) == limit else None,
    )
