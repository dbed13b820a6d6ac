"""Article keys: ``<법령명> 제N조[의M]`` — the stable identifier every module and benchmark uses.

>>> format_key("상법", 651, 2)
'상법 제651조의2'
>>> parse_key("민법 제194조")
ArticleRef(law='민법', number=194, branch=0)
>>> names = LawNames(["채무자 회생 및 파산에 관한 법률", "민법"])
>>> names.resolve("채무자회생및파산에관한법률")
'채무자 회생 및 파산에 관한 법률'
>>> law_of("근로기준법 시행령 제5조의2")
'근로기준법 시행령'
>>> laws_named("군형법 위반과 형법상 정당방위", ["형법", "군형법", "민법"])
[True, True, False]
>>> laws_named("구형법상 정당방위", ["형법", "군형법"])
[True, False]
>>> laws_named("구상법리에 따른 구상권", ["상법"])
[False]
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from legalret.text import compact, normalize

_KEY = re.compile(r"^(?P<law>.+?) 제(?P<num>\d+)조(?:의(?P<branch>[1-9]\d*))?$")  # (의0 is no branch: refused, not read as none)


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


#: An article's page on 국가법령정보센터: the law's page as the mirror's 출처 field gives it for every one of its 3,210
#: files (…/법령/<the name as promulgated, without spaces>), then the article (…/제651조의2).
LAW_PAGE = "https://www.law.go.kr/법령/{law}/{article}"


def article_url(key: str) -> str:
    """Where a person reads the article in force on law.go.kr: ``민법 제750조`` → ``https://www.law.go.kr/법령/민법/제750조``."""
    ref = parse_key(key)
    law = re.sub(r"\s", "", ref.law).replace("\u00b7", "\u318d")  # (promulgated names write the middle dot ㆍ)
    return LAW_PAGE.format(law=law, article=f"제{ref.number}조" + (f"의{ref.branch}" if ref.branch else ""))


#: A decision's page on 국가법령정보센터, by its 판례일련번호 (the form of the precedent mirror's 출처 field).
DECISION_PAGE = "https://www.law.go.kr/LSW/precInfoP.do?precSeq={serial}"


def decision_url(serial: str) -> str | None:
    """Where a person reads the whole decision (its reasons, which the index does not keep); None without a serial."""
    return DECISION_PAGE.format(serial=serial) if serial and str(serial).isdigit() else None


def law_of(key: str) -> str:
    """The law of a normalized article key (``"근로기준법 시행령 제5조"`` → ``"근로기준법 시행령"``).

    On the re-ranker's hot path (every candidate of every query), so no regex and no normalization: the text
    before the key's last ``" 제"`` — the same law as :func:`parse_key` gives for any key it accepts (a law's
    name may hold ``" 제"``; the article part is always last). A string without one is returned whole."""
    return key.rpartition(" 제")[0] or key


#: Written before a law's name, it names the law's former version (구법: ``구 민법``, ``구민법``), whose articles are
#: keyed under the law's own name: :meth:`LawNames.resolve` and :func:`laws_named` read past it.
FORMER = "구"

#: What may follow a law's name glued to :data:`FORMER` in one word, up to the word's end or its first character
#: that is not a Hangul syllable (a digit, a bracket): nothing, the name's suffixes ``상``/``하`` (구형법상, 구민법하),
#: its decree (구근로기준법시행령), particles (구민법의, 구상법에서는, 구형법상의) or 제 before an article number
#: (구민법제750조). 구 is also a word's first syllable (구상 "indemnity", 구형 "sentence requested"), so anything
#: else makes the word another one: 구상법리 (구상 + 법리) and 구상법률관계 name no 상법.
_FORMER_TAIL = re.compile(r"(?:시행령|시행규칙)?[상하]?(?:은|는|이|가|을|를|의|에|에서|에게|과|와|도|만|으로|로|이나|부터|까지)*|제")


def _is_syllable(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"  # a precomposed Hangul syllable (가 … 힣)


@lru_cache(maxsize=8192)
def _compact_name(law: str) -> str:
    return compact(law)


def laws_named(query: str, laws: Sequence[str]) -> list[bool]:
    r"""Whether ``query`` names each of ``laws``, by whole name: spaces and middle dots do not count (``근로기준법시행령``
    names ``근로기준법 시행령``), words after the name do (``형법상``, ``형법의``, ``민법750`` name 형법 / 민법), but a
    Hangul syllable right before it makes it another law's name (``군형법``, ``국제형법`` do not name 형법;
    ``주택임대차보호법`` does not name a ``임대차보호법``) — except :data:`FORMER` starting a word: ``구형법`` names
    형법 as ``구 형법`` does (its former version, 구법), when the rest of its word is what a law's name takes
    (:data:`_FORMER_TAIL`: ``구형법상``, ``구민법의``, ``구상법``), not another word's syllables (``구상법리`` is 구상 +
    법리, no 상법). A decree's name holds its act's: ``근로기준법 시행령`` names both.

    The query is read once (its compact form and where a name may start), then each law is a few ``str.find``\ s:
    the re-ranker calls it once per query with the candidates' distinct laws."""
    chars: list[str] = []
    starts: list[bool] = []  # per compact character: a name may start here (not glued to a syllable before it)
    word_starts: list[bool] = []  # per compact character: it begins a word (a space or a middle dot before it)
    glued = False
    word = True
    for ch in normalize(query):
        if ch.isspace() or ch == "\u00b7":
            glued = False
            word = True
            continue
        chars.append(ch)
        starts.append(not glued)
        word_starts.append(word)
        glued = _is_syllable(ch)
        word = False
    text = "".join(chars)
    word_starts.append(True)  # the end of the query ends the last word
    # a word-initial 구 lets a name start right after it: 구형법 as 구 형법 (from the end: 구구형법 is no 구 형법);
    # such a start (in ``former``) holds a name only when the rest of its word is a name's tail (named_at)
    former: set[int] = set()
    at = text.rfind(FORMER, 0, len(text) - 1)
    while at >= 0:
        if starts[at] and not starts[at + 1]:
            starts[at + 1] = True
            former.add(at + 1)
        at = text.rfind(FORMER, 0, at)

    def named_at(at: int, end: int) -> bool:
        if at not in former:
            return True
        tail = end  # the syllables after the name, up to the word's end or its first other character
        while not word_starts[tail] and _is_syllable(text[tail]):
            tail += 1
        return _FORMER_TAIL.fullmatch(text, end, tail) is not None

    out = []
    for law in laws:
        name = _compact_name(law)
        at = text.find(name) if name else -1
        while at >= 0 and not (starts[at] and named_at(at, at + len(name))):
            at = text.find(name, at + 1)
        out.append(at >= 0)
    return out


_DECREES = ("시행령", "시행규칙")


class LawNames:
    """Maps the ways a law is written (with/without spaces, middle-dot variants, ``구`` prefix,
    registered abbreviations) to its canonical name as promulgated."""

    def __init__(self, names: Iterable[str] = (), aliases: dict[str, str] | None = None):
        #: the index these are the laws of, when a searcher made them: a notice's command to add a law names it
        #: (None: the default index, or no index)
        self.index_dir = None
        #: old name → the held law's name now, for each law ``index add --rename`` renamed (:meth:`add_renames`)
        self.renamed: dict[str, str] = {}
        #: the laws ``index remove`` removed from the index (compact name → name; :meth:`add_removed`)
        self.removed: dict[str, str] = {}
        self._by_compact: dict[str, str] = {}
        self._by_jamo: dict[str, str] | None = None  # for closest(), made on its first call (~17 ms for 3,195 laws)
        for name in names:
            self.add(name)
        for alias, name in (aliases or {}).items():
            self._by_compact[compact(alias)] = normalize(name)

    def add(self, name: str) -> None:
        self._by_compact.setdefault(compact(name), normalize(name))
        self._by_jamo = None

    def add_aliases(self, aliases: dict[str, str]) -> None:
        """Let each short name resolve to its law, for the laws held here (the others are left out)."""
        for alias, name in aliases.items():
            law = self.resolve(name)
            if law is not None:
                self._by_compact.setdefault(compact(alias), law)

    def add_renames(self, renames: dict[str, str]) -> None:
        """Let each old name of a renamed law (old → new: :func:`legalret.index.store.law_renames`) resolve to the law
        it is now, as a short name does, and keep them in :attr:`renamed`: a query citing the old name is read as the
        new one, and must say so (it had been read so without a word)."""
        self.add_aliases(renames)
        self.renamed.update({old: law for old, new in renames.items() if (law := self.resolve(new)) is not None})

    def add_removed(self, names: Iterable[str]) -> None:
        """Keep the laws ``index remove`` removed (:func:`legalret.index.store.removed_laws`): a notice of one is that it
        was removed on purpose, not that the index never had it (:meth:`removed_name`)."""
        self.removed.update({compact(name): name for name in names})

    def removed_name(self, name: str) -> str | None:
        """The removed law ``name`` names (any spacing; a short name of it too), None if none; a law held again is not
        removed."""
        if not self.removed or self.resolve(name) is not None:
            return None
        c = compact(name)
        return self.removed.get(c) or self.removed.get(compact(law_aliases().get(name) or law_aliases().get(c) or ""))

    def example(self) -> str:
        """A law to write an example citation with: 민법 when held here, else the first law added (a notice on an
        index of 근로기준법 had said "write it as e.g. '민법 제23조'")."""
        if self.resolve("민법") == "민법" or not self._by_compact:
            return "민법"
        return next(iter(self._by_compact.values()))

    def __contains__(self, name: str) -> bool:
        return self.resolve(name) is not None

    def __len__(self) -> int:
        return len(set(self._by_compact.values()))

    def resolve(self, name: str) -> str | None:
        """Canonical name for ``name``, or None when the law is unknown. A decree named by its act's short name
        (``근기법 시행령``) is the act's decree."""
        c = compact(name)
        if c.startswith(FORMER) and c not in self._by_compact:
            c = c[len(FORMER):]
        found = self._by_compact.get(c)
        if found is None:
            for decree in _DECREES:
                act = self._by_compact.get(c[: -len(decree)]) if c.endswith(decree) and len(c) > len(decree) else None
                if act is not None:
                    return self._by_compact.get(compact(act) + decree)
        return found

    def canonical(self) -> list[str]:
        return sorted(set(self._by_compact.values()))

    def closest(self, name: str, n: int = 1, cutoff: float = 0.75) -> list[str]:
        """The laws (canonical names) whose names are nearest to ``name``, for a "did you mean": a word missing
        (주택임대차법 → 주택임대차보호법) or a syllable mistyped (민볍 → 민법). Names are compared without spaces and by
        jamo, so one wrong vowel costs one letter of three, not a whole syllable; at the default cutoff (difflib
        ratio 0.75) 형법, 상법 and 헌법 are not taken for 민법 (0.50–0.67). A name of three syllables or fewer is only
        matched to names of as many (one mistyped syllable): 헌법 had been "did you mean 하천법?"."""
        if self._by_jamo is None:  # (add_aliases adds no canonical name: only add() makes this anew)
            self._by_jamo = {}
            for law in self.canonical():
                self._by_jamo.setdefault(_jamo(compact(law)), law)
        written = compact(name)
        candidates = list(self._by_jamo)
        if len(written) <= 3:
            candidates = [j for j in candidates if len(unicodedata.normalize("NFC", j)) == len(written)]
        close = difflib.get_close_matches(_jamo(written), candidates, n=n, cutoff=cutoff)
        return [self._by_jamo[j] for j in close]


def _jamo(text: str) -> str:
    """Hangul syllables as their letters (NFD: 법 → ᄇ ᅥ ᆸ)."""
    return unicodedata.normalize("NFD", text)


#: The Constitution's names: not a 법률 or 시행령, and not in the statutes mirror — no index holds it (the search and
#: the law filter say so; a "did you mean 하천법?" had followed).
CONSTITUTION = frozenset({"헌법", "대한민국헌법"})

#: Short names of laws (``legalret/data/law_aliases.tsv``): the abbreviations courts and 법제처 write (채무자회생법,
#: 집합건물법, 도시정비법) and the ones practitioners type (근기법, 주임법, 형소법), each → the law's name.
ALIASES = Path(__file__).resolve().parent / "data" / "law_aliases.tsv"


@lru_cache(maxsize=1)
def law_aliases() -> dict[str, str]:
    """Every short name → the law's name as promulgated (read once)."""
    out: dict[str, str] = {}
    with open(ALIASES, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                alias, name = line.rstrip("\n").split("\t")
                out[alias] = name
    return out


@lru_cache(maxsize=1)
def known_laws() -> LawNames:
    """The laws named in :data:`ALIASES` (those with a registered short name: 근로기준법, 형사소송법, 주택임대차보호법 …),
    whatever an index holds: for a "did you mean" that names a law the index lacks."""
    return LawNames(law_aliases().values())


def mirror_laws() -> LawNames:
    """Every law of the statutes mirror this machine has (:func:`legalret.config.default_mirror`: a folder per law,
    named without spaces — ``개인정보보호법`` — with its ``시행령`` where it has one) and the laws of :data:`ALIASES`
    (those alone without a mirror): for reading the whole name of a cited law an index lacks when the name has spaces.
    "개인정보 보호법 제39조" had been read as a law named 보호법, and its notice's command (``--law 보호법``) added
    nothing. Read once per mirror: its zip's directory (~60 ms for its 3,210 files)."""
    from legalret.config import default_mirror

    mirror = default_mirror()
    return _mirror_laws(str(mirror) if mirror is not None else "")


@lru_cache(maxsize=2)
def _mirror_laws(mirror: str) -> LawNames:
    names = LawNames(law_aliases().values())
    for law in (_mirror_documents(mirror) or {}).values():  # (unreadable: the registered names are still read whole)
        names.add(law)
    return names


def mirror_has(law: str) -> bool | None:
    """Does the statutes mirror this machine has hold a law (or decree) named ``law`` — spacing aside, as its folders
    are named without spaces? None when there is no readable mirror to tell. A notice must not offer ``legalret index
    add <mirror> --law '민법 시행령'`` for a document the mirror lacks: the command then fails ("no articles read")."""
    from legalret.config import default_mirror

    mirror = default_mirror()
    documents = _mirror_documents(str(mirror) if mirror is not None else "")
    return None if documents is None else compact(law) in documents


@lru_cache(maxsize=2)
def _mirror_documents(mirror: str) -> dict[str, str] | None:
    """The mirror's laws and decrees (``민법``, ``개인정보보호법 시행령``: its folder names, each with its document's
    kind), by their names without spaces; read once per mirror. None when ``mirror`` is no readable mirror (absent,
    or not a zip or a folder)."""
    path = Path(mirror) if mirror else None
    try:
        if path is not None and path.is_dir():
            members = [p.relative_to(path).as_posix() for p in path.rglob("*.md")]
        elif path is not None and path.is_file():
            with zipfile.ZipFile(path) as z:
                members = z.namelist()
        else:
            return None
    except (OSError, zipfile.BadZipFile):
        return None
    out = {}
    for member in members:
        folder, _, file = member.rpartition("/")
        kind = file.removesuffix(".md")
        if folder and kind in ("법률", *_DECREES):
            law = folder.rpartition("/")[2]
            name = law if kind == "법률" else f"{law} {kind}"
            out[compact(name)] = name
    return out


@lru_cache(maxsize=1)
def _alias_pattern() -> re.Pattern:
    # at a word's start (no syllable, letter or digit glued before it); longest first, so 성폭력처벌법 is not 성폭법
    names = sorted(law_aliases(), key=len, reverse=True)
    return re.compile(r"(?<![0-9A-Za-z\uac00-\ud7a3])(?:" + "|".join(map(re.escape, names)) + r")")


def written_out(text: str, law_names: LawNames) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with each short name of a law that ``law_names`` holds written out in full (``근기법 제23조`` →
    ``근로기준법 제23조``, ``주임법상 대항력`` → ``주택임대차보호법상 대항력``), and the ``(short, full)`` pairs. A short
    name counts only as a whole word or before what a law's name takes (상, a particle, 시행령, 제: the rule of
    :data:`_FORMER_TAIL`), and not where the full name is already written (``채무자 회생 및 파산에 관한 법률(이하
    '채무자회생법')``: holdings define their short names)."""
    if "법" not in text:  # every short name ends in 법: most questions cost one scan
        return text, []
    out, pairs, pos = [], [], 0
    whole = compact(text)
    for m in _alias_pattern().finditer(text):
        full = law_names.resolve(law_aliases()[m.group()])
        end = m.end()
        while end < len(text) and _is_syllable(text[end]):  # the rest of the word (a regex class over the
            end += 1  # syllables costs ~2 ms to compile on every cold search)
        tail = text[m.end():end]
        if full is None or not _FORMER_TAIL.fullmatch(tail) or compact(full) in whole:
            continue
        out += [text[pos:m.start()], full]
        pairs.append((m.group(), full))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), pairs
