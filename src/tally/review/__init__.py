"""Officers' review: proposals, confirmations, corrections and approvals (the rule of two), the PPS queue,
crops of the digit boxes, keyed recaps against the roll-up, and practice (latihan). The salinan, a printed
copy of the public TPS page, is rendered beside that page (`tally.web.salinan_pdf`)."""

from tally.review.changes import Kind, State, check, decide, propose
from tally.review.queue import Doubt, Priority, QueueItem, doubts, queue

__all__ = ["Doubt", "Kind", "Priority", "QueueItem", "State", "check", "decide", "doubts", "propose", "queue"]
