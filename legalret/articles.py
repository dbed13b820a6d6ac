"""The canonical statute article — what every source is parsed into and every index stores.

An :class:`Article` keeps the structure of Korean statutes (조 → 항 → 호 → 목) plus the metadata
retrieval needs (law, kind, chapter path, effective date, deleted flag, source location).

Usage::

    from legalret.articles import Article, Paragraph, read_articles, write_articles

    art = Article(law="민법", law_id="001706", kind="법률", number=194, title="간접점유",
                  paragraphs=[Paragraph(None, "지상권, 전세권, 질권, 사용대차, 임대차, 임치 기타의 관계로 "
                                              "타인으로 하여금 물건을 점유하게 한 자는 간접으로 점유권이 있다.")])
    art.key        # '민법 제194조'
    art.heading    # '민법 제194조 (간접점유)'
    art.index_text()  # title + body, notes removed, normalized: what BM25 and the encoder see
    write_articles("articles.jsonl", [art]); list(read_articles("articles.jsonl"))

부칙 (addenda) are **not** articles of the body: parsers drop them (they would collide with the body's
article numbers and are almost never what a question is about).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Iterable, Iterator

from legalret.atomic import atomic_path
from legalret.errors import SourceError
from legalret.keys import ArticleRef, format_key
from legalret.text import index_text, int_to_circled, normalize


@dataclass
class SubItem:
    """목: ``가.`` ``나.`` …"""

    number: str
    text: str


@dataclass
class Item:
    """호: ``1.`` ``2의2.`` …"""

    number: str
    text: str
    subitems: list[SubItem] = field(default_factory=list)


@dataclass
class Paragraph:
    """항: ``①`` … (number None for an article whose body is not split into paragraphs)."""

    number: int | None
    text: str
    items: list[Item] = field(default_factory=list)


@dataclass
class Article:
    law: str  # name as promulgated (제목), e.g. '채무자 회생 및 파산에 관한 법률'
    number: int
    branch: int = 0  # 의M; 0 = no branch
    title: str = ""
    paragraphs: list[Paragraph] = field(default_factory=list)
    law_id: str = ""  # 법령ID
    kind: str = ""  # 법령구분: 법률 / 시행령 / 시행규칙 / …
    chapter: list[str] = field(default_factory=list)  # ['제2편 물권', '제2장 점유권']
    effective_date: str | None = None  # ISO 'YYYY-MM-DD' (시행일자)
    deleted: bool = False  # 삭제 <…>
    source: str = ""  # file (or 'archive.zip!member')
    line: int | None = None  # 1-based line of the heading in source, when known

    # ---- identity -------------------------------------------------------------------------------
    @property
    def ref(self) -> ArticleRef:
        return ArticleRef(normalize(self.law), self.number, self.branch)

    @property
    def key(self) -> str:
        return format_key(self.law, self.number, self.branch)

    @property
    def label(self) -> str:
        return self.ref.label

    @property
    def heading(self) -> str:
        return self.key + (f" ({self.title})" if self.title else "")

    # ---- text views -----------------------------------------------------------------------------
    def body_text(self) -> str:
        """Display text: 항 marks as circled numbers, 호/목 on their own lines, notes kept."""
        lines: list[str] = []
        for p in self.paragraphs:
            mark = int_to_circled(p.number) + " " if p.number else ""
            if p.text or mark:
                lines.append((mark + p.text).strip())
            for it in p.items:
                lines.append(f"{it.number}. {it.text}".strip())
                for sub in it.subitems:
                    lines.append(f"{sub.number}. {sub.text}".strip())
        return "\n".join(line for line in lines if line)

    def index_text(self, with_title: bool = True) -> str:
        """What retrievers see: ``title + body``, amendment notes removed, whitespace normalized."""
        body = index_text(self.body_text())
        return normalize(f"{self.title} {body}") if with_title and self.title else body

    # ---- serialization --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = asdict(self)
        d["key"] = self.key
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Article":
        d = {k: v for k, v in d.items() if k != "key"}
        paras = [
            Paragraph(
                p.get("number"),
                p.get("text", ""),
                [Item(i["number"], i.get("text", ""), [SubItem(**s) for s in i.get("subitems", [])]) for i in p.get("items", [])],
            )
            for p in d.pop("paragraphs", [])
        ]
        return cls(paragraphs=paras, **d)


def write_articles(path: str | os.PathLike, articles: Iterable[Article]) -> int:
    """Write JSONL atomically (temp file + rename). Returns the count."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for art in articles:
            f.write(json.dumps(art.to_dict(), ensure_ascii=False) + "\n")
            n += 1
    return n


def read_articles(path: str | os.PathLike) -> Iterator[Article]:
    """Read JSONL written by :func:`write_articles`; a bad line is a :class:`SourceError` naming it."""
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield Article.from_dict(json.loads(line))
            except (ValueError, TypeError, KeyError, AttributeError) as e:  # AttributeError: a line that is not an object
                raise SourceError(str(path), f"not an article record ({e})", line=lineno) from e
