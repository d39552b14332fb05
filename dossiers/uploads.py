"""Upload checks by content, not by name: PDF, DOCX, XLSX, JPEG, PNG only — and checked deeply.

`check(data)` answers the content type the bytes really are, or raises a DossierError (400) with a
stable code: a file is refused when its first bytes claim one type but it carries web page or
script markup; when a PDF does not parse, is encrypted, or carries JavaScript, automatic actions or
embedded files; when a DOCX/XLSX is not a real OOXML zip, has too many parts, holds macros, or
inflates past the limit (the bytes actually inflated are counted while streaming each part, never
the sizes its headers claim); when an image does not fully decode or has too many pixels.
`safe_name(name)` shortens a file name by UTF-8 bytes, keeping its extension.

Limits (config/settings/base.py): UPLOAD_IMAGE_MAX_PIXELS, UPLOAD_ZIP_MAX_MEMBERS,
UPLOAD_ZIP_MAX_BYTES, UPLOAD_PDF_MAX_OBJECTS.
"""

import io
import os
import re
import struct
import unicodedata
import zipfile
import zlib

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dossiers import errors
from dossiers.errors import DossierError

PDF, DOCX, XLSX, JPEG, PNG = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "image/jpeg",
    "image/png",
)
LABEL = {PDF: "PDF", DOCX: "DOCX", XLSX: "XLSX", JPEG: "JPEG", PNG: "PNG"}
MAIN_PART = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}

# A stored name is at most this many UTF-8 bytes; on disk it gets a 17-byte hash prefix and maybe
# an 8-byte suffix from the storage, so the file name stays under the usual 255-byte limit.
NAME_MAX_BYTES = 200
EXTENSION_MAX_BYTES = 16

FILE_DISGUISED = _(
    "The file begins like a %(type)s but carries web page or script content (HTML, SVG or "
    "script); it is refused."
)
PDF_INVALID = _("The PDF cannot be read: it is damaged or not a real PDF.")
PDF_ENCRYPTED = _("The PDF is encrypted or password-protected; upload a copy without protection.")
PDF_JAVASCRIPT = _("The PDF contains JavaScript or automatic actions, which are not allowed.")
PDF_EMBEDDED_FILE = _("The PDF contains embedded files, which are not allowed.")
PDF_TOO_COMPLEX = _("The PDF has too many objects (the limit is %(limit)s).")
OFFICE_INVALID = _("The file is not a valid Word (DOCX) or Excel (XLSX) document.")
OFFICE_TOO_MANY_PARTS = _("The document has %(count)s parts; the limit is %(limit)s.")
OFFICE_TOO_LARGE = _("Unpacked, the document exceeds the limit of %(limit)s bytes.")
OFFICE_MACROS = _(
    "The document contains macros or ActiveX controls, which are not allowed; save it as a plain "
    "DOCX or XLSX."
)
IMAGE_INVALID = _("The image cannot be decoded: it is damaged or not a real %(type)s.")
IMAGE_TOO_LARGE = _("The image has %(pixels)s pixels; the limit is %(limit)s.")

# Markup a browser or another reader would take for a web page or a script (lower case).
MARKUP = re.compile(
    rb"<!doctype\s+html|<html|<head[\s>]|<body|<script|<svg|<iframe|<object|<embed|<\?php"
    rb"|<meta\s|javascript:",
    re.IGNORECASE,
)


def sniff(head: bytes, data: bytes | None = None) -> str | None:
    """The allowed content type the bytes claim to be by their magic, or None.

    `head` is the first bytes; `data` the whole file, needed only to tell DOCX from XLSX.
    """
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04") and data is not None:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if MAIN_PART[DOCX] in names:
            return DOCX
        if MAIN_PART[XLSX] in names:
            return XLSX
    return None


def check(data: bytes, name: str = "") -> str:
    """The content type of an upload whose every check passed; raises DossierError otherwise."""
    content_type = sniff(data[:16], data)
    if content_type is None:
        if data.startswith(b"PK\x03\x04"):
            raise DossierError(OFFICE_INVALID, code="office_invalid")
        raise DossierError(errors.FILE_TYPE_REFUSED, code="file_type_refused", name=name)
    if content_type in (PDF, PNG, JPEG) and MARKUP.search(data):
        raise DossierError(FILE_DISGUISED, code="file_disguised", type=LABEL[content_type])
    if content_type == PDF:
        _check_pdf(data)
    elif content_type in (PNG, JPEG):
        _check_image(data, content_type)
    else:
        _check_ooxml(data, content_type)
    return content_type


# --- PDF ---------------------------------------------------------------------------------------

# Keys of a dictionary that run code or act by themselves: JavaScript, additional actions (/AA,
# on open, close, focus, page view…), XFA forms (scripted) and rich media.
ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/XFA", "/RichMediaContent"}
ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute", "/SubmitForm"}
EMBED_KEYS = {"/EmbeddedFiles", "/EF"}
EMBED_SUBTYPES = {"/FileAttachment", "/RichMedia"}


def _check_pdf(data: bytes) -> None:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many kinds on malformed input
        raise DossierError(PDF_INVALID, code="pdf_invalid") from exc
    if encrypted:
        raise DossierError(PDF_ENCRYPTED, code="pdf_encrypted")
    try:
        len(reader.pages)  # the page tree parses
        finding = _pdf_active_content(reader, settings.UPLOAD_PDF_MAX_OBJECTS)
    except DossierError:
        raise
    except Exception as exc:
        raise DossierError(PDF_INVALID, code="pdf_invalid") from exc
    if finding == "javascript":
        raise DossierError(PDF_JAVASCRIPT, code="pdf_javascript")
    if finding == "embedded":
        raise DossierError(PDF_EMBEDDED_FILE, code="pdf_embedded_file")


def _pdf_active_content(reader, limit: int) -> str | None:
    """Walk every object (from the trailer and from the cross-reference table, so unreachable
    objects too) without recursion; answer "javascript", "embedded" or None."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    stack: list = [reader.trailer]
    for generation, numbers in reader.xref.items():
        stack.extend(IndirectObject(n, generation, reader) for n in numbers)
    stack.extend(IndirectObject(n, 0, reader) for n in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    containers = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            ref = (item.idnum, item.generation)
            if ref in seen:
                continue
            seen.add(ref)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            values = list(dict.values(item))
            keys = set(dict.keys(item))
            if keys & ACTIVE_KEYS:
                return "javascript"
            if keys & EMBED_KEYS:
                return "embedded"
            kind = _name(dict.get(item, "/S"))
            if kind in ACTIVE_ACTIONS:
                return "javascript"
            if _name(dict.get(item, "/Subtype")) in EMBED_SUBTYPES:
                return "embedded"
            if _name(dict.get(item, "/Type")) == "/EmbeddedFile":
                return "embedded"
        elif isinstance(item, ArrayObject):
            values = list(item)
        else:
            continue
        containers += 1
        if containers > limit:
            raise DossierError(PDF_TOO_COMPLEX, code="pdf_too_complex", limit=limit)
        stack.extend(v for v in values if isinstance(v, IndirectObject | DictionaryObject | list))
    return None


def _name(value) -> str | None:
    from pypdf.generic import IndirectObject

    if isinstance(value, IndirectObject):
        value = value.get_object()
    return str(value) if isinstance(value, str) else None


# --- images ------------------------------------------------------------------------------------


def _check_image(data: bytes, content_type: str) -> None:
    from PIL import Image

    label = LABEL[content_type]
    limit = settings.UPLOAD_IMAGE_MAX_PIXELS
    width = height = 0
    try:
        with Image.open(io.BytesIO(data), formats=[label]) as image:
            width, height = image.size
            if width * height > limit:
                raise DossierError(
                    IMAGE_TOO_LARGE, code="image_too_large", pixels=width * height, limit=limit
                )
            image.verify()  # structure and checksums (PNG chunk CRCs)
        with Image.open(io.BytesIO(data), formats=[label]) as image:
            image.load()  # the full decode, every pixel
    except DossierError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own ceiling, if ours is set higher
        raise DossierError(
            IMAGE_TOO_LARGE, code="image_too_large", pixels=width * height, limit=limit
        ) from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError… on bad data
        raise DossierError(IMAGE_INVALID, code="image_invalid", type=label) from exc


# --- DOCX / XLSX -------------------------------------------------------------------------------

IN_CHUNK = 64 * 1024  # compressed bytes fed to the inflater at a time
OUT_CHUNK = 1024 * 1024  # at most this many inflated bytes per step
CONTENT_TYPES = "[Content_Types].xml"
MACRO_PARTS = re.compile(r"(^|/)(vbaproject\.bin|vbadata\.xml)$|(^|/)activex/", re.IGNORECASE)


def _check_ooxml(data: bytes, content_type: str) -> None:
    max_members = settings.UPLOAD_ZIP_MAX_MEMBERS
    max_bytes = settings.UPLOAD_ZIP_MAX_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except Exception as exc:  # BadZipFile, truncated or inconsistent directory…
        raise DossierError(OFFICE_INVALID, code="office_invalid") from exc
    if len(members) > max_members:
        raise DossierError(
            OFFICE_TOO_MANY_PARTS,
            code="office_too_many_parts",
            count=len(members),
            limit=max_members,
        )
    names = [m.filename for m in members]
    if len(set(names)) != len(names) or MAIN_PART[content_type] not in names:
        raise DossierError(OFFICE_INVALID, code="office_invalid")
    if any(MACRO_PARTS.search(n) for n in names):
        raise DossierError(OFFICE_MACROS, code="office_macros")
    budget = max_bytes
    for member in members:
        try:
            produced, head = _inflate(data, member, budget)
        except DossierError:
            raise
        except Exception as exc:  # zlib.error, a local header out of place…
            raise DossierError(OFFICE_INVALID, code="office_invalid") from exc
        budget -= produced
        if member.filename == CONTENT_TYPES and b"macroenabled" in head.lower():
            raise DossierError(OFFICE_MACROS, code="office_macros")


def _inflate(data: bytes, member: zipfile.ZipInfo, budget: int) -> tuple[int, bytes]:
    """Inflate one part from its raw bytes, counting what really comes out, and stop as soon as
    the budget is spent: a 1 MB part that inflates to 1 GiB costs at most `budget` bytes of work,
    in 1 MiB steps, whatever its headers claim. A part whose real size or CRC differs from its
    headers is refused too. Answers the bytes produced and the part's first 1 MiB."""
    invalid = DossierError(OFFICE_INVALID, code="office_invalid")
    too_large = DossierError(
        OFFICE_TOO_LARGE, code="office_too_large", limit=settings.UPLOAD_ZIP_MAX_BYTES
    )
    if member.flag_bits & 0x1:  # encrypted
        raise invalid
    offset = member.header_offset
    if data[offset : offset + 4] != b"PK\x03\x04":
        raise invalid
    name_length, extra_length = struct.unpack("<HH", data[offset + 26 : offset + 30])
    start = offset + 30 + name_length + extra_length
    view = memoryview(data)
    if member.compress_type == zipfile.ZIP_STORED:
        body = view[start : start + member.compress_size]
        if len(body) != member.compress_size:
            raise invalid
        if len(body) > budget:
            raise too_large
        produced, crc, head = len(body), zlib.crc32(body), bytes(body[:OUT_CHUNK])
    elif member.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        position, produced, crc, head = start, 0, 0, b""
        while not inflater.eof:
            pending = inflater.unconsumed_tail
            if not pending:
                if position >= len(data):
                    raise invalid  # the stream never ends: truncated
                pending = view[position : position + IN_CHUNK]
                position += len(pending)
            out = inflater.decompress(pending, OUT_CHUNK)
            produced += len(out)
            if produced > budget:
                raise too_large
            crc = zlib.crc32(out, crc)
            if not head:
                head = out
    else:
        raise invalid
    if produced != member.file_size or crc != member.CRC:
        raise invalid
    return produced, head


# --- file names --------------------------------------------------------------------------------


def _cut(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` of at most max_bytes UTF-8 bytes, cut between characters."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def safe_name(name: str, max_bytes: int = NAME_MAX_BYTES) -> str:
    """A file name fit to store and show: no folders or control characters, NFC, at most
    max_bytes UTF-8 bytes, its extension kept (`"ệ" * 80 + ".pdf"` → 65 × "ệ" + ".pdf")."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    if not name:
        return "file"
    stem, extension = os.path.splitext(name)
    if len(extension.encode("utf-8")) > EXTENSION_MAX_BYTES or not stem:
        stem, extension = name, ""
    stem = _cut(stem, max_bytes - len(extension.encode("utf-8"))).rstrip()
    return (stem or "file") + extension
