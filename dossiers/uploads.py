"""Upload checks by content, not by name: PDF, DOCX, XLSX, JPEG, PNG only."""

import io
import zipfile

PDF, DOCX, XLSX, JPEG, PNG = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "image/jpeg",
    "image/png",
)


def sniff(head: bytes, data: bytes | None = None) -> str | None:
    """The allowed content type the bytes really are, or None.

    `head` is the first bytes; `data` the whole file, needed only to look inside OOXML zips.
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
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" not in names:
            return None
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
    return None
