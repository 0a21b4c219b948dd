"""Photos: validation, content-addressed storage, and filing an upload."""

from tally.photos.intake import PhotoStatus, Spooled, Upload, file_photo, spool
from tally.photos.store import PhotoStore

__all__ = ["PhotoStatus", "PhotoStore", "Spooled", "Upload", "file_photo", "spool"]
