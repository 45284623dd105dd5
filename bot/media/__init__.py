"""Files customers send (receipt photos, PDFs): one media-store interface for every channel.

Why one interface: WhatsApp images (downloaded from the Graph media endpoint) and widget
uploads end up in the same place, are checked by the same rules and are linked the same
way from the agent desk, so a second storage backend changes one module, not the channels.

Rules, whatever the channel says:

* The type is sniffed from the first bytes (magic numbers), never taken from a header or
  file name: only JPEG, PNG, WebP and PDF are kept; anything else is refused.
* Size limit ``MEDIA_MAX_BYTES`` (default 5 MB).
* Files are content-addressed (sha256 of the bytes): a duplicated webhook or a retried
  upload stores the file once, and a key cannot be guessed from another one.

Backends: :class:`LocalMediaStore` (default) writes 0600 files under ``var/media``
(``MEDIA_DIR``), 0700 directories: receipts carry personal and financial data. Several
replicas must share that directory (a volume). An S3-compatible backend (MinIO, R2, AWS) fits
the same :class:`MediaStore` protocol: ``put`` -> ``put_object(Key=key, ContentType=...)``,
``get`` -> ``get_object``; not built yet (interface note only).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.private_files import FILE_MODE, private_dir

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
_KEY = re.compile(r"[0-9a-f]{64}\.(jpg|png|webp|pdf)")


class MediaRejected(ValueError):
    """The file is not kept; ``reason`` is ``too_large``, ``empty`` or ``type``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StoredMedia:
    key: str  # "<sha256>.<ext>": what links and transcripts refer to
    content_type: str
    size: int

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def sniff(data: bytes) -> str | None:
    """The content type from the file's magic bytes, or None when it is not one we keep."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def max_bytes() -> int:
    return int(os.environ.get("MEDIA_MAX_BYTES") or DEFAULT_MAX_BYTES)


def check(data: bytes) -> str:
    """The sniffed content type of ``data``; raises :class:`MediaRejected`."""
    if not data:
        raise MediaRejected("empty")
    if len(data) > max_bytes():
        raise MediaRejected("too_large")
    content_type = sniff(data)
    if content_type is None:
        raise MediaRejected("type")
    return content_type


def is_valid_key(key: str) -> bool:
    return bool(_KEY.fullmatch(key))


class MediaStore(Protocol):
    def put(self, data: bytes) -> StoredMedia: ...

    def get(self, key: str) -> tuple[bytes, str] | None: ...


class LocalMediaStore:
    """Files in a private local directory (default ``var/media``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> StoredMedia:
        content_type = check(data)
        key = f"{hashlib.sha256(data).hexdigest()}.{EXTENSIONS[content_type]}"
        directory = private_dir(self.root / key[:2])
        path = directory / key
        if not path.exists():
            tmp = directory / f".{key}.{os.getpid()}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        return StoredMedia(key=key, content_type=content_type, size=len(data))

    def get(self, key: str) -> tuple[bytes, str] | None:
        if not is_valid_key(key):
            return None
        path = self.root / key[:2] / key
        if not path.is_file():
            return None
        ext = key.rsplit(".", 1)[1]
        content_type = next(t for t, e in EXTENSIONS.items() if e == ext)
        return path.read_bytes(), content_type


def get_media_store() -> MediaStore:
    from bot.config import var_dir

    root = os.environ.get("MEDIA_DIR")
    return LocalMediaStore(Path(root) if root else var_dir() / "media")


def desk_link(media: StoredMedia) -> str:
    """Where an agent opens the file (desk route, login required)."""
    return f"/desk/media/{media.key}"


def placeholder(media: StoredMedia, language: str | None) -> str:
    """The transcript line for an attachment: "[gambar] /desk/media/<key>"."""
    en = language == "en"
    if media.is_image:
        label = "[image]" if en else "[gambar]"
    else:
        label = "[document]" if en else "[dokumen]"
    return f"{label} {desk_link(media)}"


def receipt_acknowledgement(media: StoredMedia, language: str | None) -> str:
    """The bot's answer to a photo or PDF outside a handoff (e.g. a transfer receipt)."""
    if language == "en":
        return (
            "Thank you, we have received your "
            + ("photo" if media.is_image else "document")
            + ". Our team will check it and get back to you if anything is needed. If it is "
            "a transfer receipt, please also mention your reference number."
        )
    from bot.profile import get_profile

    addr = get_profile().address_form
    return (
        f"Terima kasih, {addr}, "
        + ("foto" if media.is_image else "dokumen")
        + f" sudah kami terima. Tim kami akan memeriksanya dan menghubungi {addr} bila ada "
        f"yang diperlukan. Jika ini bukti transfer, mohon sebutkan juga nomor referensinya."
    )


def rejection(reason: str, language: str | None) -> str:
    """Why a file was not accepted, politely, in the customer's language."""
    limit = max_bytes() // (1024 * 1024)
    if language == "en":
        if reason == "download":
            return "Sorry, we could not receive your file. Please send it again."
        if reason == "too_large":
            return f"Sorry, the file is too large (maximum {limit} MB)."
        return "Sorry, we can only receive photos (JPEG, PNG, WebP) and PDF documents."
    if reason == "download":
        return "Mohon maaf, file belum berhasil kami terima. Silakan kirim ulang."
    if reason == "too_large":
        return f"Mohon maaf, ukuran file terlalu besar (maksimal {limit} MB)."
    return "Mohon maaf, kami hanya bisa menerima foto (JPEG, PNG, WebP) dan dokumen PDF."
