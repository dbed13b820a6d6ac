"""Article keys: ``<법령명> 제N조[의M]`` — the stable identifier every module and benchmark uses.

>>> format_key("상법", 651, 2)
'상법 제651조의2'
>>> parse_key("민법 제194조")
ArticleRef(law='민법', number=194, branch=0)
>>> names = LawNames(["채무자 회생 및 파산에 관한 법률", "민법"])
>>> names.resolve("채무자회생및파산에관한법률")
'채무자 회생 및 파산에 관한 법률'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from legalret.text import compact, normalize

_KEY = re.compile(r"^(?P<law>.+?) 제(?P<num>\d+)조(?:의(?P<branch>\d+))?$")


@dataclass(frozen=True, order=True)
class ArticleRef:
    law: str
    number: int
    branch: int = 0

    @property
    def key(self) -> str:
        return format_key(self.law, self.number, self.branch)

    @property
    def label(self) -> str:
        """``제312조의2`` (no law name)."""
        return f"제{self.number}조" + (f"의{self.branch}" if self.branch else "")


def format_key(law: str, number: int, branch: int = 0) -> str:
    return f"{normalize(law)} 제{int(number)}조" + (f"의{int(branch)}" if branch else "")


def parse_key(key: str) -> ArticleRef:
    m = _KEY.match(normalize(key))
    if not m:
        raise ValueError(f"not an article key (expected '<법령명> 제N조[의M]'): {key!r}")
    return ArticleRef(m["law"], int(m["num"]), int(m["branch"] or 0))


class LawNames:
    """Maps the ways a law is written (with/without spaces, middle-dot variants, ``구`` prefix,
    registered abbreviations) to its canonical name as promulgated."""

    def __init__(self, names: Iterable[str] = (), aliases: dict[str, str] | None = None):
        self._by_compact: dict[str, str] = {}
        for name in names:
            self.add(name)
        for alias, name in (aliases or {}).items():
            self._by_compact[compact(alias)] = normalize(name)

    def add(self, name: str) -> None:
        self._by_compact.setdefault(compact(name), normalize(name))

    def __contains__(self, name: str) -> bool:
        return self.resolve(name) is not None

    def __len__(self) -> int:
        return len(set(self._by_compact.values()))

    def resolve(self, name: str) -> str | None:
        """Canonical name for ``name``, or None when the law is unknown."""
        c = compact(name)
        if c.startswith("구") and c not in self._by_compact:
            c = c[1:]
        return self._by_compact.get(c)

    def canonical(self) -> list[str]:
        return sorted(set(self._by_compact.values()))
