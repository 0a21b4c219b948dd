"""The tamper-evident audit log: a SHA-256 hash chain in the database, signed heads, and a verifier."""

from tally.audit.chain import GENESIS, Action, canonical_json, entry_hash
from tally.audit.log import Actor, PublishedHead, all_heads, append, entries_for, latest_head, sign_head
from tally.audit.signing import HeadSigner, signature_valid
from tally.audit.verify import Problem, ProblemKind, Report, verify_chain

__all__ = [
    "GENESIS",
    "Action",
    "Actor",
    "HeadSigner",
    "Problem",
    "ProblemKind",
    "PublishedHead",
    "Report",
    "all_heads",
    "append",
    "canonical_json",
    "entries_for",
    "entry_hash",
    "latest_head",
    "sign_head",
    "signature_valid",
    "verify_chain",
]
