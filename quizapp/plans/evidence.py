"""Evidence files: checked by content, photos re-encoded without metadata, stored on shared storage.

* A photo is recognised by its first bytes (JPEG, PNG, WebP), never by its name or the browser's
  content type; its pixel count is read from the header and refused above ``MAX_PIXELS`` before any
  decoding (a decompression bomb); it is decoded at reduced scale where the format allows (JPEG
  draft mode), turned upright, shrunk to ``MAX_SIDE`` pixels and saved again as JPEG — EXIF
  (GPS position, camera, owner) and every other metadata block are not copied.
* A PDF must start with ``%PDF-`` and end with ``%%EOF``; it is served as a download, never inline.
* Files live under ``EVIDENCE_DIR`` (default: ``<JOBS_DIR>/evidence``), which must be shared
  storage when several app nodes run, like JOBS_DIR.
"""
from __future__ import annotations

import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from quizapp.plans.scope import refuse

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 6
MAX_PIXELS = 60_000_000  # a 60 MP photo; a header claiming more is refused before decoding
MAX_SIDE = 1600
JPEG_QUALITY = 82

_PHOTO_MAGIC = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"))


def evidence_dir() -> Path:
    configured = current_app.config.get("EVIDENCE_DIR")
    if configured:
        path = Path(configured)
    else:
        from quizapp.jobs.services import jobs_dir

        path = jobs_dir() / "evidence"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Prepared:
    """A checked file, ready to write: ``data`` is what is stored."""

    kind: str  # photo | pdf
    filename: str
    data: bytes
    suffix: str


def _sniff(head: bytes) -> str | None:
    for magic, fmt in _PHOTO_MAGIC:
        if head.startswith(magic):
            return fmt
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:1024].lstrip().startswith(b"%PDF-"):
        return "PDF"
    return None


def _display_name(filename: str, suffix: str) -> str:
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = Path(base).stem
    stem = "".join(ch if ch.isalnum() or ch in " -_()" else "-" for ch in stem)[:80].strip(" -") or "tep"
    return f"{stem}{suffix}"


def prepare(filename: str, content: bytes) -> Prepared:
    """Check one uploaded file and return what to store; a refusal names the file."""
    name = (filename or "").strip()[:120] or "tệp"
    if not content:
        raise refuse("evidence_empty", _l("The file “%(name)s” is empty.", name=name), field="files")
    if len(content) > MAX_FILE_BYTES:
        raise refuse("evidence_too_large", _l("The file “%(name)s” is larger than %(mb)d MB.", name=name,
                                              mb=MAX_FILE_BYTES // 2**20), 413, "files")
    fmt = _sniff(content[:2048])
    if fmt is None:
        raise refuse("evidence_type", _l("The file “%(name)s” is not a photo (JPEG, PNG, WebP) or a PDF.", name=name),
                     field="files")
    if fmt == "PDF":
        if b"%%EOF" not in content[-2048:]:
            raise refuse("evidence_pdf", _l("The file “%(name)s” is not a complete PDF.", name=name), field="files")
        return Prepared("pdf", _display_name(name, ".pdf"), content, ".pdf")
    return Prepared("photo", _display_name(name, ".jpg"), _reencode(content, fmt, name), ".jpg")


def _reencode(content: bytes, fmt: str, name: str) -> bytes:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content), formats=[fmt]) as img:
            width, height = img.size
            if width * height > MAX_PIXELS or width < 1 or height < 1:
                raise refuse("evidence_pixels", _l("The photo “%(name)s” has too many pixels (at most %(mp)d "
                                                   "megapixels).", name=name, mp=MAX_PIXELS // 1_000_000),
                             413, "files")
            if fmt == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 scale when the result stays above the final size: less time and memory.
                scale = MAX_SIDE / max(width, height)
                if scale < 1:
                    img.draft("RGB", (int(width * scale), int(height * scale)))
            img.load()
            img = ImageOps.exif_transpose(img)  # upright as the camera held it; the tag itself is not kept
            if img.mode not in ("RGB", "L"):
                background = Image.new("RGB", img.size, "white")
                rgba = img.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                img = background
            img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            img.save(out, "JPEG", quality=JPEG_QUALITY)  # no exif=, no icc_profile=: nothing carried over
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            EOFError) as exc:
        if isinstance(exc, Image.DecompressionBombError):
            raise refuse("evidence_pixels", _l("The photo “%(name)s” has too many pixels (at most %(mp)d "
                                               "megapixels).", name=name, mp=MAX_PIXELS // 1_000_000), 413, "files")
        raise refuse("evidence_corrupt", _l("The file “%(name)s” looks like a photo but cannot be read.", name=name),
                     field="files")


def prepare_all(files: list[tuple[str, bytes]]) -> list[Prepared]:
    """Every file checked before any is written: one bad file refuses them all."""
    files = [(n, c) for n, c in files if n or c]
    if len(files) > MAX_FILES:
        raise refuse("evidence_count", _l("At most %(n)d files at a time.", n=MAX_FILES), field="files")
    return [prepare(name, content) for name, content in files]


def write(prepared: Prepared, unit_id: int) -> tuple[str, int]:
    """Write the file under EVIDENCE_DIR (atomically); returns (relative path, size)."""
    rel = f"{unit_id}/{uuid.uuid4().hex}{prepared.suffix}"
    path = evidence_dir() / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(prepared.data)
    os.replace(tmp, path)
    return rel, len(prepared.data)


def path_of(stored: str) -> Path:
    base = evidence_dir().resolve()
    path = (base / stored).resolve()
    if base not in path.parents:
        raise refuse("evidence_missing", _l("This file does not exist."), 404)
    return path


def remove(stored: str) -> None:
    try:
        path_of(stored).unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - a file already gone is fine
        pass
