"""Shared test configuration: offline hub, real-data location, and the `slow` marker's skip rule."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

# Never reach for the Hugging Face hub from tests: everything is built locally.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Tests count what a build tokenizes and encodes: the user's token and vector caches would make that depend on
# earlier runs. tests/test_index_token_cache.py and tests/test_vector_cache.py turn them on, in temporary folders.
os.environ.setdefault("LEGALRET_TOKEN_CACHE", "off")
os.environ.setdefault("LEGALRET_VECTOR_CACHE", "off")

from legalret.config import shared_data_dir  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real shared data; tests needing it are skipped (not failed) where it is absent."""
    d = shared_data_dir()
    if d is None:
        pytest.skip("shared data (../shared/data) not present")
    return d


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture()
def mirror_zip(tmp_path, fixtures_dir) -> Path:
    """A legalize-kr-style zip of the markdown fixtures (what `corpus pull --mirror` and `ingest` read)."""
    path = tmp_path / "legalize-kr.zip"
    with zipfile.ZipFile(path, "w") as z:
        for md in sorted((fixtures_dir / "ingest" / "markdown").rglob("*.md")):
            z.write(md, f"legalize-kr/{md.parent.name}/{md.name}")
    return path


def corrupt_zip_member(archive: Path, member: str) -> None:
    """Flip one byte inside ``member``'s stored data: reading it then fails its CRC check (``zipfile.BadZipFile``, or
    ``zlib.error`` for a deflated member) — what a damaged download gives."""
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(member)
    data = bytearray(archive.read_bytes())
    name_len, extra_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0xFF
    archive.write_bytes(bytes(data))


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A LEGALRET_HOME of its own (resident servers' state files); any resident server a test started is stopped."""
    from legalret.serve import resident

    home = tmp_path / "home"
    monkeypatch.setenv("LEGALRET_HOME", str(home))
    yield home
    resident.stop()
