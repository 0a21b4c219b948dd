"""Findings are values: a `Flag` names the rule, the fields, expected vs actual and a fix hint."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reconcile.ids import RegionCode, TpsId


class Rule(StrEnum):
    # One sheet (DOMAIN.md, "Rules that must hold on one TPS").
    GENDER_SUM = "gender_sum"
    VOTER_LIST = "voter_list"
    BALLOTS = "ballots"
    VOTES = "votes"
    CAPACITY = "capacity"
    TALLY = "tally"
    OMR = "omr"
    PAGES = "pages"
    MISSING_PAGE = "missing_page"
    # Across uploads and levels.
    UPLOAD_CONFLICT = "upload_conflict"
    RECAP_MISMATCH = "recap_mismatch"
    # Outliers: worth a look, not errors.
    TURNOUT_HIGH = "turnout_high"
    LANDSLIDE = "landslide"
    VOTES_ABOVE_DPT = "votes_above_dpt"


class Severity(StrEnum):
    ERROR = "error"  # the numbers cannot all be right
    OUTLIER = "outlier"  # possible, but worth a look


@dataclass(frozen=True, slots=True)
class Flag:
    region: RegionCode | TpsId
    rule: Rule
    fields: tuple[str, ...]
    expected: int | None
    actual: int | None
    hint: str
    severity: Severity = Severity.ERROR

    def as_dict(self) -> dict[str, object]:
        return {
            "region": self.region,
            "rule": self.rule.value,
            "fields": list(self.fields),
            "expected": self.expected,
            "actual": self.actual,
            "hint": self.hint,
            "severity": self.severity.value,
        }
