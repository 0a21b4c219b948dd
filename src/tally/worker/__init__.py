"""OCR workers: the consumer loop, the reader factory, and applying a reading once."""

from tally.worker.apply import apply_reading
from tally.worker.loop import OcrWorker
from tally.worker.readers import Reader, load_reader, reader_name

__all__ = ["OcrWorker", "Reader", "apply_reading", "load_reader", "reader_name"]
