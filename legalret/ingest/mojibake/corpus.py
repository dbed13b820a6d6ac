"""Training and benchmark text for the mojibake language model, with fixed held-out splits.

* statutes: lines of the legalize-kr mirror; laws with ``sha1(folder)[0] % 10 == 0`` are held out;
* precedents: 판시사항/판결요지 of ``precedent-kr.zip`` and the 이유 openings of ``precedent-facts.zip``,
  split by decision date: before 2020-01-01 trains, 2020–2022 is held out (the project's dev split).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path
from typing import Iterator

#: Laws whose folder name hashes into this bucket (of 10) are held out: never used to train the model,
#: only to benchmark it. ``sha1(folder name, UTF-8)[0] % 10 == 0``.
HELD_OUT_BUCKET = 0


def is_held_out(law_folder: str) -> bool:
    """True for the ~10% of laws reserved for the benchmark (deterministic, by name hash)."""
    return hashlib.sha1(law_folder.encode("utf-8")).digest()[0] % 10 == HELD_OUT_BUCKET


_MD_HEADING = re.compile(r"^#+\s*")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MD_ESCAPE = re.compile(r"\\([.\-*_#()\[\]])")


def statute_lines(zip_path: str | Path, *, split: str = "train") -> Iterator[tuple[str, str]]:
    """``(law folder, clean line)`` for every body line of every statute in the legalize-kr zip.

    ``split='train'`` yields the laws that are not held out, ``'test'`` the held-out ones, ``'all'`` both.
    Front matter and 부칙 are skipped; markdown markup is removed; text is normalized.
    """
    from legalret.text import normalize

    with zipfile.ZipFile(zip_path) as zf:
        for name in sorted(zf.namelist()):
            if not name.endswith(".md"):
                continue
            parts = name.split("/")
            if len(parts) < 3:
                continue
            law = parts[-2]
            held = is_held_out(law)
            if (split == "train" and held) or (split == "test" and not held):
                continue
            text = zf.read(name).decode("utf-8", errors="replace")
            if text.startswith("---"):
                close = text.find("\n---", 3)
                text = text[close + 4:] if close > 0 else text
            for raw in text.splitlines():
                if raw.startswith("## 부칙"):
                    break
                line = _MD_ESCAPE.sub(r"\1", _MD_BOLD.sub(r"\1", _MD_HEADING.sub("", raw)))
                line = normalize(line)
                if line:
                    yield law, line


# ---- precedents: split by decision date -----------------------------------------------------------
#: Decisions before this date train the model; from it to :data:`TEST_END` they are held out.
TRAIN_BEFORE = "2020-01-01"
TEST_END = "2022-12-31"
_FRONT_DATE = re.compile(r"^선고일자:\s*'?(\d{4}-\d{2}-\d{2})", re.M)
_FRONT_CASE = re.compile(r"^사건번호:\s*'?([^'\n]+)", re.M)
_SECTION = re.compile(r"^## (\S+)\s*$", re.M)
_ITEM = re.compile(r"\[\d+\]")
HOLDING_SECTIONS = ("판시사항", "판결요지")


def _in_split(decided: str, split: str) -> bool:
    if split == "all":
        return True
    if split == "train":
        return decided < TRAIN_BEFORE
    if split == "test":
        return TRAIN_BEFORE <= decided <= TEST_END
    raise ValueError(f"split must be 'train', 'test' or 'all', not {split!r}")


def holding_lines(zip_path: str | Path, *, split: str = "train") -> Iterator[tuple[str, str]]:
    """``(case number, line)`` for every holding item (``[1] …``) of 판시사항 and 판결요지 in
    ``precedent-kr.zip``; whitespace collapsed. ``split``: 'train' (< 2020), 'test' (2020–2022), 'all'."""
    from legalret.text import normalize

    with zipfile.ZipFile(zip_path) as zf:
        for name in sorted(zf.namelist()):
            if not name.endswith(".md"):
                continue
            text = zf.read(name).decode("utf-8", errors="replace")
            head = text[:600]
            date = _FRONT_DATE.search(head)
            if date is None or not _in_split(date.group(1), split):
                continue
            case = _FRONT_CASE.search(head)
            case_no = case.group(1).strip() if case else name
            parts = _SECTION.split(text)
            for title, body in zip(parts[1::2], parts[2::2]):
                if title not in HOLDING_SECTIONS:
                    continue
                for item in _ITEM.split(body):
                    line = normalize(item)
                    if line:
                        yield case_no, line


def fact_lines(zip_path: str | Path, *, split: str = "train") -> Iterator[tuple[str, str]]:
    """``(case number, line)`` for every line of the 이유 openings in ``precedent-facts.zip``."""
    import json

    from legalret.text import normalize

    with zipfile.ZipFile(zip_path) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".jsonl"))
        with zf.open(member) as f:
            for raw in f:
                row = json.loads(raw)
                if not _in_split(str(row.get("선고일자", "")), split):
                    continue
                for line in str(row.get("이유", "")).split("\n"):
                    line = normalize(line)
                    if line:
                        yield str(row.get("사건번호", "")), line


def precedent_lines(precedents_zip: str | Path | None, facts_zip: str | Path | None = None, *,
                    split: str = "train") -> Iterator[tuple[str, str]]:
    """Holding lines then fact lines (either archive may be None)."""
    if precedents_zip is not None:
        yield from holding_lines(precedents_zip, split=split)
    if facts_zip is not None:
        yield from fact_lines(facts_zip, split=split)
