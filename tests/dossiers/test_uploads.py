"""The upload checks without HTTP: file names cut by bytes, and the zip counter that trusts no
header (the requests themselves are in tests/bad_input/test_uploads.py)."""

import io
import random
import zipfile

import pytest

from dossiers.errors import DossierError
from dossiers.uploads import DOCX, NAME_MAX_BYTES, check, safe_name
from tests.bad_input.test_uploads import _bomb, _docx

# Latin with Vietnamese marks (composed and not), CJK, emoji, controls, separators, dots, spaces.
ALPHABET = "aệẫƯđ名😀e\u0302\u0323\x00\x1f\u202e/\\. _-"


def _names(count: int = 500):
    rng = random.Random(9)
    for _ in range(count):
        stem = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 400)))
        yield stem, rng.choice(["", ".pdf", ".docx", ".jpg"])


def test_any_name_fits_in_bytes_and_keeps_a_plain_extension():
    for stem, extension in _names():
        name = safe_name(stem + extension)
        assert 0 < len(name.encode("utf-8")) <= NAME_MAX_BYTES, (stem, extension)
        assert not {"/", "\\", "\x00", "\u202e"} & set(name)
        last = stem.replace("\\", "/").rsplit("/", 1)[-1]
        if extension and any(c.isalnum() for c in last):
            assert name.endswith(extension), (stem, extension, name)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("ệ" * 80 + ".pdf", "ệ" * 65 + ".pdf"),  # 3 bytes each: 65 × 3 + 4 = 199 bytes
        ("Tờ trình.pdf", "Tờ trình.pdf"),
        ("e\u0302\u0323" * 3 + ".pdf", "ệ" * 3 + ".pdf"),  # decomposed marks composed (NFC)
        ("😀" * 60 + ".png", "😀" * 49 + ".png"),  # 4 bytes each, never cut inside one
        ("", "file"),
        ("...", "file"),
    ],
)
def test_safe_name_examples(name, expected):
    assert safe_name(name) == expected


def test_bomb_is_refused_by_what_it_inflates_not_by_what_it_claims(settings):
    settings.UPLOAD_ZIP_MAX_BYTES = 4 * 1024 * 1024
    honest = _bomb(size=8 * 1024 * 1024)
    with pytest.raises(DossierError) as error:
        check(honest)
    assert error.value.code == "office_too_large"
    liar = _bomb(claimed=10, size=2 * 1024 * 1024)  # under the limit, header says 10 bytes
    with zipfile.ZipFile(io.BytesIO(liar)) as archive:
        assert sum(i.file_size for i in archive.infolist()) < 1000
    with pytest.raises(DossierError) as error:
        check(liar)
    assert error.value.code == "office_invalid"
    assert check(_docx()) == DOCX
