"""Uploads checked by content, deeply: every bad file is a 400 with its code and writes nothing.

The files are real ones made here: pypdf writes the PDFs (with JavaScript, actions, embedded
files, encryption), zipfile and zlib the DOCX/XLSX (macros, too many parts, a real 1 GiB bomb),
Pillow the images. A good file of every allowed type still uploads.
"""

import io
import struct
import time
import zipfile
import zlib

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject
from pypdf.generic import TextStringObject as Text

from dossiers.models import Attachment
from dossiers.uploads import DOCX, JPEG, PDF, PNG, XLSX
from tests.signin import signin
from tests.workflows.helpers import create

pytestmark = pytest.mark.django_db

GIB = 1024**3
CONTENT_TYPES = "[Content_Types].xml"
WORD_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


# --- making real files -------------------------------------------------------------------------


def _pdf(build=None, encrypt: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if build:
        build(writer)
    if encrypt:
        writer.encrypt(encrypt)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _js_action(code: str = "app.alert('x')") -> DictionaryObject:
    return DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): Text(code)}
    )


def _document_js(writer):
    """Document-level JavaScript: the catalog's /Names /JavaScript tree, run when the file opens."""
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([Text("init"), writer._add_object(_js_action())])}
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})


def _open_action(writer):
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(_js_action())


def _page_aa(writer):
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): _js_action()})


def _attachment_annotation(writer):
    spec = DictionaryObject(
        {NameObject("/Type"): NameObject("/Filespec"), NameObject("/F"): Text("a.exe")}
    )
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
            NameObject("/FS"): spec,
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def _raw_pdf(*bodies: bytes) -> bytes:
    """A PDF written by hand, objects 1… in order, with a correct cross-reference table."""
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += b"%d 0 obj%sendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)
    return out


def _objstm_pdf(hidden: bytes, open_action: bool = True) -> bytes:
    """A PDF 1.5 whose object 4 lives compressed in an object stream (5), indexed by an xref
    stream (6); the catalog's /OpenAction points at it, or nothing does."""
    header = b"4 0 "
    body = zlib.compress(header + hidden)
    action = b"/OpenAction 4 0 R" if open_action else b""
    plain = {
        1: b"<</Type/Catalog/Pages 2 0 R%s>>" % action,
        2: b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        3: b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
        5: b"<</Type/ObjStm/N 1/First %d/Filter/FlateDecode/Length %d>>stream\n%s\nendstream"
        % (len(header), len(body), body),
    }
    out, offsets = b"%PDF-1.5\n", {}
    for number, text in plain.items():
        offsets[number] = len(out)
        out += b"%d 0 obj%sendobj\n" % (number, text)
    offsets[6] = len(out)
    rows = [struct.pack(">BLH", 0, 0, 65535)]
    for number in range(1, 7):
        row = (2, 5, 0) if number == 4 else (1, offsets[number], 0)
        rows.append(struct.pack(">BLH", *row))
    table = b"".join(rows)
    out += b"6 0 obj<</Type/XRef/Size 7/W[1 4 2]/Root 1 0 R/Length %d>>stream\n" % len(table)
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6]
    return out


def _ooxml(parts: dict[str, bytes | str], types: str = WORD_TYPES) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CONTENT_TYPES, types)
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def _docx(**extra) -> bytes:
    return _ooxml({"word/document.xml": "<w:document/>", **extra})


def _xlsx(types: str = "<Types/>") -> bytes:
    return _ooxml({"xl/workbook.xml": "<workbook/>"}, types=types)


def _zip_by_hand(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip of (name, raw deflate stream, crc, size claimed, method) written byte by byte, so a
    part can be a ready-made deflate stream and its headers can say anything."""
    out, central = b"", b""
    for name, stream, crc, size, method in members:
        encoded = name.encode()
        offset = len(out)
        fields = (20, 0, method, 0, 0, crc, len(stream), size, len(encoded), 0)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields) + encoded + stream
        central += (
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, offset) + encoded
        )
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0
    )
    return out + central + end


def _deflated(text: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(text) + packer.flush(), zlib.crc32(text), len(text)


def _zeros_stream(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of `size` zero bytes and its CRC, made fast: 1 MiB of zeros is
    compressed once with a full flush (so every block is the same) and repeated."""
    mib = bytes(1024 * 1024)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = packer.compress(mib) + packer.flush(zlib.Z_FULL_FLUSH)
    count = size // len(mib)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(mib, crc)
    return block * count + packer.flush(), crc


def _bomb(claimed: int | None = None, size: int = GIB) -> bytes:
    """A DOCX whose one media part is `size` zero bytes deflated to ~1 MB."""
    stream, crc = _zeros_stream(size)
    return _zip_by_hand(
        [
            (CONTENT_TYPES, *_deflated(WORD_TYPES.encode()), 8),
            ("word/document.xml", *_deflated(b"<w:document/>"), 8),
            ("word/media/image1.bin", stream, crc, size if claimed is None else claimed, 8),
        ]
    )


def _image(fmt: str, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width × height pixels in its header and holds almost nothing."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">L", len(body)) + kind + body + struct.pack(">L", zlib.crc32(kind + body))
        )

    header = struct.pack(">LLBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


# --- the cases ---------------------------------------------------------------------------------

GOOD_PDF = _pdf()
BAD = {
    # magic bytes of an allowed type, web page or script behind them
    "pdf_then_html": (
        "a.pdf",
        b"%PDF-1.4\n<html><script>alert(1)</script></html>",
        "file_disguised",
    ),
    "png_then_svg": (
        "a.png",
        b'\x89PNG\r\n\x1a\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "file_disguised",
    ),
    "jpeg_then_html": ("a.jpg", b"\xff\xd8\xff\xe0<!DOCTYPE html><p>x</p>", "file_disguised"),
    "real_png_with_script_appended": (
        "a.png",
        _image("PNG") + b"<script>alert(1)</script>",
        "file_disguised",
    ),  # fmt: skip
    "plain_html": ("a.pdf", b"<!doctype html><script>alert(1)</script>", "file_type_refused"),
    # PDFs
    "pdf_document_javascript": (
        "a.pdf",
        _pdf(_document_js),
        "pdf_javascript",
    ),
    "pdf_open_action_js": ("a.pdf", _pdf(_open_action), "pdf_javascript"),
    "pdf_page_aa": ("a.pdf", _pdf(_page_aa), "pdf_javascript"),
    "pdf_hex_escaped_js": (
        "a.pdf",
        _raw_pdf(
            b"<</Type/Catalog/Pages 2 0 R/OpenAction<</S/J#61vaScript/J#53(app.alert(1))>>>>",
            b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
        ),
        "pdf_javascript",
    ),
    "pdf_js_in_object_stream": (
        "a.pdf",
        _objstm_pdf(b"<</S/JavaScript/JS(app.alert(1))>>"),
        "pdf_javascript",
    ),  # fmt: skip
    "pdf_js_in_object_stream_unreachable": (
        "a.pdf",
        _objstm_pdf(b"<</JS(app.alert(1))>>", open_action=False),
        "pdf_javascript",
    ),  # fmt: skip
    "pdf_launch_unreachable": (  # an object nothing points to is still looked at
        "a.pdf",
        _raw_pdf(
            b"<</Type/Catalog/Pages 2 0 R>>",
            b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
            b"<</S/Launch/F(cmd.exe)>>",
        ),
        "pdf_javascript",
    ),
    "pdf_embedded_file": (
        "a.pdf",
        _pdf(lambda w: w.add_attachment("x.exe", b"MZ")),
        "pdf_embedded_file",
    ),  # fmt: skip
    "pdf_file_attachment_annotation": ("a.pdf", _pdf(_attachment_annotation), "pdf_embedded_file"),
    "pdf_encrypted": ("a.pdf", _pdf(encrypt="secret"), "pdf_encrypted"),
    "pdf_truncated": ("a.pdf", GOOD_PDF[: len(GOOD_PDF) // 2], "pdf_invalid"),
    "pdf_garbage": ("a.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 4, "pdf_invalid"),
    # DOCX / XLSX
    "zip_without_content_types": (
        "a.docx",
        _zip_by_hand([("word/document.xml", *_deflated(b"<w:document/>"), 8)]),
        "office_invalid",
    ),  # fmt: skip
    "zip_without_main_part": ("a.docx", _ooxml({"word/other.xml": "<x/>"}), "office_invalid"),
    "zip_truncated": ("a.docx", _docx()[:60], "office_invalid"),
    "docx_with_vba_project": (
        "a.docx",
        _docx(**{"word/vbaProject.bin": b"\xd0\xcf"}),
        "office_macros",
    ),
    "xlsx_macro_enabled_type": (
        "a.xlsx",
        _xlsx(
            '<Types><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.'
            'macroEnabled.main+xml"/></Types>'
        ),
        "office_macros",
    ),  # fmt: skip
    "docx_activex": ("a.docx", _docx(**{"word/activeX/activeX1.bin": b"x"}), "office_macros"),
    "docx_header_lies_about_size": (
        "a.docx",
        _bomb(claimed=100, size=8 * 1024**2),
        "office_invalid",
    ),
    # images
    "png_magic_garbage": ("a.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "image_invalid"),
    "png_truncated": ("a.png", _image("PNG", (300, 300))[:200], "image_invalid"),
    "jpeg_truncated": ("a.jpg", _image("JPEG", (300, 300))[:300], "image_invalid"),
    "png_claims_3600_megapixels": ("a.png", _png_header_only(60000, 60000), "image_too_large"),
    "png_claims_60_megapixels": ("a.png", _png_header_only(10000, 6000), "image_too_large"),
}


@pytest.fixture
def draft(api):
    return create(api, "HLHPN", "BK-TTG")


def _post(api, dossier: dict, name: str, body: bytes, kind: str = "to_trinh"):
    return api("proposer-HLHPN").post(
        f"/api/v1/dossiers/{dossier['id']}/attachments/",
        {"kind": kind, "file": SimpleUploadedFile(name, body)},
        format="multipart",
    )


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_file_is_refused_and_nothing_is_written(api, draft, nothing_written, case):
    name, body, code = BAD[case]
    with nothing_written():
        response = _post(api, draft, name, body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"] and "Traceback" not in response.json()["detail"]


def test_a_1_gib_zip_bomb_is_refused_quickly_by_counting_inflated_bytes(
    api, draft, nothing_written
):
    bomb = _bomb()
    assert len(bomb) < 1_100_000  # ~1 MB on the wire, 1 GiB inside
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:  # a well-formed zip: headers tell the truth
        assert archive.getinfo("word/media/image1.bin").file_size == GIB
    started = time.perf_counter()
    with nothing_written():
        response = _post(api, draft, "bomb.docx", bomb)
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert response.json()["code"] == "office_too_large"
    assert elapsed < 15, elapsed  # stops at the limit (200 MiB), never inflates the whole GiB


def test_a_small_bomb_is_refused_under_a_lowered_limit(api, draft, nothing_written, settings):
    settings.UPLOAD_ZIP_MAX_BYTES = 1024 * 1024
    bomb = _bomb(size=2 * 1024 * 1024)
    with nothing_written():
        response = _post(api, draft, "bomb.docx", bomb)
    assert (response.status_code, response.json()["code"]) == (400, "office_too_large")
    assert "1048576" in response.json()["detail"]


def test_too_many_parts_is_refused(api, draft, nothing_written, settings):
    settings.UPLOAD_ZIP_MAX_MEMBERS = 10
    body = _docx(**{f"word/media/p{i}.xml": "<x/>" for i in range(12)})
    with nothing_written():
        response = _post(api, draft, "parts.docx", body)
    assert (response.status_code, response.json()["code"]) == (400, "office_too_many_parts")


def test_pixel_limit_is_configurable_and_a_full_decode_is_done(
    api, draft, nothing_written, settings
):
    settings.UPLOAD_IMAGE_MAX_PIXELS = 1000
    with nothing_written():
        response = _post(api, draft, "big.png", _image("PNG", (40, 30)))  # 1,200 pixels
    assert (response.status_code, response.json()["code"]) == (400, "image_too_large")
    settings.UPLOAD_IMAGE_MAX_PIXELS = 50_000_000
    # A header Pillow reads without complaint, the pixel data cut short: the decode refuses it.
    good = _image("PNG", (300, 300))
    with Image.open(io.BytesIO(good[:-200])) as header_only:
        assert header_only.size == (300, 300)
    with nothing_written():
        response = _post(api, draft, "cut.png", good[:-200])
    assert (response.status_code, response.json()["code"]) == (400, "image_invalid")


GOOD = {
    "to_trinh.pdf": (GOOD_PDF, PDF),
    "nen.pdf": (_objstm_pdf(b"[3 0 R/Fit]"), PDF),  # compressed objects, a harmless open action
    "bao_cao.docx": (_docx(), DOCX),
    "bang.xlsx": (_xlsx(), XLSX),
    "anh.png": (_image("PNG"), PNG),
    "anh.jpg": (_image("JPEG"), JPEG),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_files_still_upload(api, draft, name):
    body, content_type = GOOD[name]
    response = _post(api, draft, name, body)
    assert response.status_code == 201, response.json()
    stored = Attachment.objects.get(pk=response.json()["id"])
    assert (stored.content_type, stored.original_name, stored.size) == (
        content_type,
        name,
        len(body),
    )
    assert stored.file.read() == body


def test_long_vietnamese_filename_is_shortened_by_bytes(api, draft):
    name = "ệ" * 80 + ".pdf"  # 84 characters, 244 bytes: too long for a file system as is
    response = _post(api, draft, name, GOOD_PDF)
    assert response.status_code == 201, response.content
    stored = Attachment.objects.get(pk=response.json()["id"])
    assert stored.original_name == "ệ" * 65 + ".pdf"
    assert len(stored.original_name.encode()) <= 200
    on_disk = stored.file.name.rsplit("/", 1)[-1]
    assert on_disk.endswith(".pdf") and len(on_disk.encode()) <= 255
    assert stored.file.read() == GOOD_PDF
    again = _post(api, draft, name, GOOD_PDF)  # same name and hash: the storage adds a suffix
    assert again.status_code == 201
    second = Attachment.objects.get(pk=again.json()["id"]).file.name.rsplit("/", 1)[-1]
    assert second != on_disk and len(second.encode()) <= 255


@pytest.mark.parametrize(
    "name, stored",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\a\\tờ trình.pdf", "tờ trình.pdf"),
        ("x\x00y\u202e.pdf", "xy.pdf"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
        ("名" * 100, "名" * 66),
    ],
)
def test_odd_filenames_are_cleaned(api, draft, name, stored):
    response = _post(api, draft, name, GOOD_PDF)
    assert response.status_code == 201, response.content
    assert Attachment.objects.get(pk=response.json()["id"]).original_name == stored


def test_ui_refuses_with_a_message_and_stores_nothing(client, api, draft, nothing_written):
    assert signin(client, "proposer-HLHPN")
    body = BAD["pdf_document_javascript"][1]
    with nothing_written():
        response = client.post(
            f"/dossiers/{draft['id']}/upload/",
            {"kind": "to_trinh", "file": SimpleUploadedFile("a.pdf", body)},
        )
    assert response.status_code == 302
    shown = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert len(shown) == 1 and shown[0][0] == "error"
    assert "JavaScript" in shown[0][1]
    ok = client.post(
        f"/dossiers/{draft['id']}/upload/",
        {"kind": "to_trinh", "file": SimpleUploadedFile("ệ" * 80 + ".pdf", GOOD_PDF)},
    )
    assert ok.status_code == 302
    assert Attachment.objects.filter(
        dossier_id=draft["id"], original_name="ệ" * 65 + ".pdf"
    ).exists()


BAD_KINDS = {
    "nul": "\x00\U000d046eü",  # found by schemathesis: reached PostgreSQL, a 500
    "nul_inside": "to_\x00trinh",
    "too_long": "k" * 41,
    "blank": "",
}


@pytest.mark.parametrize("case", sorted(BAD_KINDS))
def test_a_bad_kind_is_a_400_on_the_kind_and_writes_nothing(api, draft, nothing_written, case):
    with nothing_written():
        response = _post(api, draft, "a.pdf", GOOD_PDF, kind=BAD_KINDS[case])
    assert response.status_code == 400, response.content
    assert "kind" in response.json()["errors"], response.json()


def test_a_missing_file_is_a_400_naming_the_field(api, draft, nothing_written):
    with nothing_written():
        response = api("proposer-HLHPN").post(
            f"/api/v1/dossiers/{draft['id']}/attachments/", {"kind": "to_trinh"}, format="multipart"
        )
    assert response.status_code == 400, response.content
    assert "file" in response.json()["errors"]


@pytest.mark.parametrize("case", sorted(BAD_KINDS))
def test_ui_refuses_a_bad_kind_with_a_message(client, api, draft, nothing_written, case):
    assert signin(client, "proposer-HLHPN")
    with nothing_written():
        response = client.post(
            f"/dossiers/{draft['id']}/upload/",
            {"kind": BAD_KINDS[case], "file": SimpleUploadedFile("a.pdf", GOOD_PDF)},
        )
    assert response.status_code == 302
    shown = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert len(shown) == 1 and shown[0][0] == "error", shown
