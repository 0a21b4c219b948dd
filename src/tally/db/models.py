"""Every table, gathered so alembic sees one metadata. Each group of tables lives in its own module."""

from tally.db import (
    audit,  # noqa: F401  (audit log tables, revision 0003)
    blind,  # noqa: F401  (blind readings, retakes, confirmations, revision 0008)
    intake,  # noqa: F401  (intake tables, revision 0002)
    review,  # noqa: F401  (review and practice tables, revision 0004)
)
from tally.db.base import Base
from tally.db.flags import FlagRow
from tally.db.recaps import KeyedRecapRow
from tally.db.regions import RegionRow, TpsRow
from tally.db.results import TpsResultRow, TpsVoteRow
from tally.db.sheets import ContestRow, SheetRow, SheetValueRow
from tally.db.totals import RegionTotalRow, RegionVoteRow

__all__ = [
    "Base",
    "ContestRow",
    "FlagRow",
    "KeyedRecapRow",
    "RegionRow",
    "RegionTotalRow",
    "RegionVoteRow",
    "SheetRow",
    "SheetValueRow",
    "TpsResultRow",
    "TpsRow",
    "TpsVoteRow",
]
