from __future__ import annotations

import json

from ocr.reading import Alternative, Candidate, DigitReading, FieldReading, Reading


def _reading() -> Reading:
    quad = ((1.0, 2.0), (3.0, 2.0), (3.0, 4.0), (1.0, 4.0))
    digits = (
        DigitReading(None, 0.99, quad, (Alternative(None, 0.99), Alternative(1, 0.01))),
        DigitReading(7, 0.97, quad, (Alternative(7, 0.97), Alternative(2, 0.02)), ("ink_outside",)),
        DigitReading(4, 0.99, quad),
    )
    field = FieldReading(
        "suara_paslon_1",
        74,
        0.96,
        "review",
        digits,
        (Candidate(74, 0.9), Candidate(24, 0.08)),
        "Bulatan OMR menunjukkan 24",
        {"omr": 24},
    )
    return Reading(2, {"suara_paslon_1": field}, "cnn-1", tps="3173041007005", orientation=180)


def test_reading_survives_a_json_round_trip() -> None:
    reading = _reading()
    again = Reading.from_json(json.loads(json.dumps(reading.to_json())))
    assert again == reading


def test_a_field_in_review_makes_the_reading_need_review() -> None:
    assert _reading().needs_review
    assert not Reading(2, {}, "cnn-1").needs_review
    assert Reading(None, {}, "cnn-1", rejected="Foto buram").needs_review
