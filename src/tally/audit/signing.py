"""Ed25519 keys for signing chain heads: load or create the key file, sign, check a signature."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tally.audit.chain import head_message

KEY_FILE = "keys/audit-ed25519.pem"  # relative to Settings.data_dir


class HeadSigner:
    """Holds the private key; `public_hex` is what gets published beside every head."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_hex = raw.hex()

    @classmethod
    def generate(cls) -> HeadSigner:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_file(cls, path: Path, *, create: bool = True) -> HeadSigner:
        """Reads the PEM key at `path`, creating it (mode 0600) on first use when `create` is set."""
        if not path.exists():
            if not create:
                raise FileNotFoundError(f"kunci tanda tangan audit tidak ditemukan: {path}")
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
            return cls(key)
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{path} bukan kunci Ed25519")
        return cls(loaded)

    def sign_head(self, seq: int, hash_: str) -> str:
        return self._key.sign(head_message(seq, hash_)).hex()


def signature_valid(public_hex: str, seq: int, hash_: str, signature_hex: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        key.verify(bytes.fromhex(signature_hex), head_message(seq, hash_))
    except (InvalidSignature, ValueError):
        return False
    return True
