"""The prepare stage of a search: a query's text normalized and cut — mojibake repaired, Hanja read in Hangul, short
law names written out, each with a notice —, its tokens made once, its citations found (articles, and the articles of
a decision it names by 사건번호).

Usage::

    prepare = QueryPreparer(tokenizer, law_names)
    q, cites, needed = prepare("민법 제750조 불법행위", laws=None, mask=None)
    q.tokens                 # what BM25, the memories and the profiles search for (Kiwi once, no party names)
    needed                   # False: only citations (or no searchable words) — no retriever runs

Every retriever reads the :class:`~legalret.search.retrievers.Query` made here.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable, Iterable

from legalret.config import MAX_QUERY_CHARS, query_cut_note  # one query limit and cut notice for every interface
from legalret.errors import LegalretError
from legalret.hanja import has_hanja, read_hanja
from legalret.keys import laws_named, written_out
from legalret.search.areas import area_notes, area_word_notes
from legalret.search.cases import decision_citations, without_case_numbers
from legalret.search.citations import QueryCitation, citation_forms, find_citations, unresolved_citations
from legalret.search.coverage import NOTHING_MATCHED, SHOWN_CHARS, coverage_notes, filtered_notes
from legalret.search.crime import crime_notes
from legalret.search.parties import PARTY_MARKERS  # (the searcher's tokens go without them: see that module)
from legalret.search.retrievers import Query
from legalret.text import clean_query, compact

NO_WORDS = ("the query has no searchable words (only punctuation, symbols or particles); "
            "type some words or an article citation such as '민법 제750조'")
#: Between the law names of a query made of nothing else ("민법", "민법, 상법", "근로기준법?")
_NAME_SEPARATORS = re.compile(r"[\s,·/?!.]+")


def law_names_only_notice(text: str, law_names) -> str | None:
    """The notice for a query that is only the names of laws the index holds ("민법"): it says nothing to look for
    in them, and the hits are the articles whose words are the name (상법 제195조 "…조합에 관한 민법의 규정을 준용한다"
    had come first for "민법", at relevance 21, with no word). None for any other query; a law the index lacks has its
    own notice (:func:`legalret.search.citations.unresolved_citations`)."""
    parts = [p for p in _NAME_SEPARATORS.split(text) if p]
    laws = [law_names.resolve(p) for p in parts]
    if not parts or None in laws:
        return None
    named = list(dict.fromkeys(laws))
    if len(named) > 1:
        return (f"'{', '.join(named)}' only names laws: the hits are articles that mention them by name — add what "
                f"to look for, cite an article ('{named[0]} 제1조'), or filter by the law")
    return (f"'{named[0]}' only names a law: the hits are articles that mention it by name — add what to look for, "
            f"cite an article ('{named[0]} 제1조'), or filter by the law")

#: A lead byte of a UTF-8 character read as cp1252/latin-1 (Â…ô): what every mojibake the repair knows contains (the
#: lead class of ``legalret.ingest.mojibake.alphabet._SUSPECT``, repeated so a clean query never imports that package).
_BROKEN_LEAD = re.compile("[\u00c2-\u00f4]")
#: The most of a suspect query the mojibake repair reads: a Hangul syllable is three characters of mojibake, so this
#: holds more than the :data:`~legalret.config.MAX_QUERY_CHARS` the search keeps.
REPAIR_CHARS = 3 * MAX_QUERY_CHARS


def repaired_query(text: str) -> tuple[str, list[str]]:
    """``text``, or — when it looks like Korean mojibake (UTF-8 read as cp1252/latin-1: a question pasted from a
    mis-decoded page or mail, "ìœ ì¹˜ê¶Œ") — its repair (:func:`legalret.ingest.mojibake.repair_mojibake`), with a
    notice naming what was searched instead; a repair the model is unsure of says so. Searching the broken text
    would match nothing ("no article contains 'ìœ'") and guess from the dense side alone. Clean text costs one
    regular-expression scan; the repair model is loaded only for a suspect query (~0.8 s once)."""
    if not _BROKEN_LEAD.search(text):  # no lead byte of broken UTF-8: clean, and the ingest package stays unimported
        return text, []
    from legalret.ingest.mojibake import looks_like_mojibake

    if not looks_like_mojibake(text):
        return text, []
    from legalret.ingest.mojibake import repair_mojibake

    notes = []
    if len(text) > REPAIR_CHARS:  # the repair's beam search costs ~0.1 ms a character: a pasted megabyte would
        # hold a server for a minute, and the query limit keeps less than this anyway
        notes.append(f"the query was cut to its first {REPAIR_CHARS:,} of {len(text):,} characters before its repair")
        text = text[:REPAIR_CHARS]
    result = repair_mojibake(text)
    if not result.changed:
        return text, notes
    doubtful = [r for r in result.repairs if r.status != "repaired"]
    shown = result.text if len(result.text) <= 80 else result.text[:80] + "…"
    if not doubtful:
        return result.text, [f"the query looked like Korean text decoded with the wrong encoding (UTF-8 read as "
                             f"cp1252/latin-1); searched for its repair: '{shown}'", *notes]
    if all(r.status == "guessed" for r in doubtful):
        # sure of every reading but for syllables rebuilt from lost bytes, where others fit too: "uncertain,
        # confidence 1.00" had read as a contradiction — the notice names the guess and what else it could be
        guesses = [(char, alts) for r in doubtful for offset, char, _, alts in r.uncertain if offset in r.guessed]
        char, alts = guesses[0]
        rivals = "".join(f", or '{a}'" for a in alts)
        n = f"{len(guesses)} characters" if len(guesses) > 1 else "1 character"
        return result.text, [f"the query looked like Korean text decoded with the wrong encoding, and its repair "
                             f"rebuilt {n} from lost bytes ('{char}'{rivals}); searched for '{shown}' — retype the "
                             f"question if that is not it", *notes]
    least = min(doubtful, key=lambda r: r.confidence)
    return result.text, [f"the query looked like Korean text decoded with the wrong encoding, and its repair is "
                         f"uncertain ({least.status}, confidence {least.confidence:.2f} for '{least.fixed}'); "
                         f"searched for '{shown}' — retype the question if that is not it", *notes]


#: A word of a query (letters and digits, joined by ``&``, ``.``, ``-``: M&A, U.S., COVID-19) …
_WORD = re.compile(r"[^\W_]+(?:[&.\-][^\W_]+)*")
#: … that is an acronym Korean legal text writes in Latin letters (CCTV, DNA, GPS, M&A, 5G, COVID-19): capitals and
#: digits alone, 2 to 8 of them — longer, or with a small letter, it is an English word ("what", "POSSESSION").
_ACRONYM = re.compile(r"[A-Z0-9]+(?:[&.\-][A-Z0-9]+)*")
#: How many letters and digits an acronym has, at least and at most ("A" and "I" are English words).
ACRONYM_CHARS = (2, 8)


def acronyms_only(text: str) -> bool:
    """Are the words of ``text`` that hold a letter all Latin acronyms (:data:`_ACRONYM`; full-width ones too: ＣＣＴＶ),
    and is there one? Such a query (``CCTV``, ``M&A``) is not a question in English: Korean law text and the decisions
    write these words in Latin letters, and telling it to ask in Korean would be wrong. A sentence in English ("what
    is adverse possession", "WHAT IS A LIEN") has small letters, a one-letter word or a long word."""
    words = [w for w in _WORD.findall(unicodedata.normalize("NFKC", text)) if any(ch.isalpha() for ch in w)]
    low, high = ACRONYM_CHARS
    return bool(words) and all(_ACRONYM.fullmatch(w) and low <= sum(ch.isalnum() for ch in w) <= high for w in words)


#: The most Hanja words a notice shows.
SHOWN_HANJA = 8


def hangul_query(text: str, weight: Callable[[str], int] | None = None) -> tuple[str, list[str]]:
    """``text`` with its Hanja read in Hangul (:func:`legalret.hanja.read_hanja`; ``weight``: how common a word is in
    the index, which picks among a character's readings), and a notice showing the readings. The articles and the
    holdings are in Hangul: a question in Hanja (``不動産의 二重賣買``) would match no word, and ``民法 第750條`` cite
    no article. The text keeps its length; text without Hanja (the courts' 甲/乙 aside) comes back as it is."""
    if not has_hanja(text):
        return text, []
    read, pairs = read_hanja(text, weight)
    if not pairs:  # only glosses (전세(傳貰)), left as they are
        return text, []
    distinct = list(dict.fromkeys(pairs))
    shown = ", ".join(f"{hanja} → {hangul}" if len(hanja) <= SHOWN_CHARS else f"{hanja[:SHOWN_CHARS]}… → {hangul[:SHOWN_CHARS]}…"
                      for hanja, hangul in distinct[:SHOWN_HANJA])
    return read, [f"Hanja read in Hangul: {shown}" + (" …" if len(distinct) > SHOWN_HANJA else "")]


#: How the notice of short law names read in full begins (the search, check_citation and article requests say it).
SHORT_NAMES_READ = "short law names read in full"


def short_names_notice(pairs: Iterable[tuple[str, str]]) -> str:
    """The notice for short law names read as the laws they name: ``short law names read in full: 근기법 → 근로기준법``
    (each pair once, in order)."""
    return SHORT_NAMES_READ + ": " + ", ".join(f"{short} → {full}" for short, full in dict.fromkeys(pairs))


#: How the notice of old names of renamed laws begins (``index add --rename``: the index reads them as the new names).
RENAMED_READ = "law names read as renamed"


def renamed_names_notice(pairs: Iterable[tuple[str, str]]) -> str:
    """The notice for old names of laws ``index add --rename`` renamed, read as the names they have now: ``law names
    read as renamed: 주택임대차보호법 → 주택임차인보호법 (index add --rename)`` (each pair once, in order) — in a query
    (:meth:`QueryPreparer.full_law_names`) or a law filter (:meth:`legalret.search.filters.Filters.renamed_in`)."""
    return (RENAMED_READ + ": " + ", ".join(f"{old} → {new}" for old, new in dict.fromkeys(pairs))
            + " (index add --rename)")


def renamed_names(text: str, renamed: dict[str, str]) -> list[tuple[str, str]]:
    """The (old, new) names of the renamed laws ``text`` names by their old name (:attr:`LawNames.renamed
    <legalret.keys.LawNames.renamed>`), by whole name (:func:`legalret.keys.laws_named`). An old name inside the new
    one, the new one written (a rename that only added words), is the new name's."""
    if not renamed:
        return []
    olds = list(renamed)
    news = laws_named(text, [renamed[old] for old in olds])
    return [(old, renamed[old]) for old, named, new_named in zip(olds, laws_named(text, olds), news)
            if named and not (new_named and compact(old) in compact(renamed[old]))]


#: The most words (tokens) beside its citations a query may have for its cited articles' titles to be read with it
#: (:meth:`QueryPreparer.with_titles`): "요건", "이사 선임 요건" — a question about the article, not a text citing it.
TITLED_REST_TOKENS = 4


class QueryPreparer:
    def __init__(self, tokenizer: Any, law_names: Any, vocabulary: Any = None, precedents: Any = None,
                 word_weight: Callable[[str], int] | None = None, decisions: Callable[[], Any] | None = None,
                 occurs: Callable[[Any, Any], list[str]] | None = None,
                 held_crimes: Callable[[], Iterable[str]] | None = None,
                 title_of: Callable[[str], str | None] | None = None):
        # vocabulary: the BM25 vocabulary, to say when none (or few) of a query's words occur in any article;
        # precedents: a function giving the precedent memory's words (read only when some query word is in no article);
        # word_weight: how many articles hold a word (0 for none), to read a query's Hanja as the index's words;
        # decisions: a function giving the precedent memory, whose decisions a query may name by 사건번호;
        # occurs: (words, mask) → the words some article of the mask holds (the BM25 postings), for a filtered search;
        # held_crimes: a function giving the crimes the index's article titles name (asked only for a question about a
        # crime: legalret.search.crime)
        self.tokenizer, self.law_names, self.vocabulary, self.precedents = tokenizer, law_names, vocabulary, precedents
        self.word_weight, self.decisions, self.occurs = word_weight, decisions, occurs
        self.held_crimes = held_crimes
        # title_of: an indexed article's title by its key (None: not indexed) — for a short question about a cited
        # article (:meth:`with_titles`)
        self.title_of = title_of

    def __call__(self, text: str, *, laws: list[str] | None, mask: Any, before: Any = None, exclude: Any = None,
                 citations: bool = True, kinds: list[str] | None = None) -> tuple[Query, list[QueryCitation], bool]:
        """The query, its exact citations, and whether any retriever needs to run."""
        q = self.query(text)
        q.laws, q.kinds, q.mask, q.before, q.exclude = laws, kinds, mask, before, exclude
        default_law = laws[0] if laws and len(laws) == 1 else None
        cites = find_citations(q.text, self.law_names, default_law) if citations else []
        unresolved = unresolved_citations(q.text, self.law_names, default_law) if citations else []
        if citations:
            q.notes.extend(unresolved)
            named, notes = decision_citations(q.text, self.decisions() if self.decisions else None, before, exclude)
            cites += named
            q.notes.extend(notes)
            if (plain := without_case_numbers(q.text)) != q.text:
                q.tokens = self.tokens(plain)
        rest = self.rest_tokens(q, cites) if cites else None  # (read once: needs_retrieval and with_titles ask it)
        needed = self.needs_retrieval(q, cites, rest, said=bool(unresolved))
        if needed and self.vocabulary is not None:
            # (q.text: a query with no Korean gets the one notice saying legalret searches in Korean; one that cites an
            # article has Korean in its text — 제750조 — and is read as any other)
            # (nor does a query of acronyms alone — CCTV, DNA, M&A: Korean statutes write them so, and it is no English
            # question; the ordinary notice says if no article has them)
            # (query: the text whose cited laws' names are no words of the question — 형법 of "형법 제250조", which
            # has its own notice when the index lacks it — also where the text is not given for the English check)
            q.notes.extend(coverage_notes(q.tokens, self.vocabulary, is_law=self._is_law, precedents=self.precedents,
                                          text=None if cites or acronyms_only(q.text) else q.text, query=q.text))
            if mask is not None and self.occurs is not None and not cites \
                    and not any(n.startswith(NOTHING_MATCHED) for n in q.notes):
                # (the whole index's words matched, but under a filter the hits come from its articles alone)
                where = ", ".join([*(laws or []), *(kinds or [])])
                q.notes.extend(filtered_notes(q.tokens, lambda words: self.occurs(words, mask), where,
                                              is_law=self._is_law, text=q.text))
        if needed and citations and self.law_names is not None:
            # (a question about a crime names no law, and the index may hold no criminal law: legalret.search.crime)
            q.notes.extend(crime_notes(q.text, self.law_names, self.held_crimes, said=q.notes))
            # (nor does 노동법상 …: an area the manifests list, whose laws the index may lack — legalret.search.areas)
            q.notes.extend(area_notes(q.text, self.law_names, said=q.notes))
            # (nor does "부당하게 해고당했어요": words of an area, whose laws the index may lack)
            q.notes.extend(area_word_notes(q.text, self.law_names, said=q.notes))
            if (named_only := law_names_only_notice(q.text, self.law_names)) is not None:
                q.notes.append(named_only)
        if needed and cites and self.title_of is not None and len(rest) <= TITLED_REST_TOKENS:
            self.with_titles(q, cites)
        return q, cites, needed

    def with_titles(self, q: Query, cites: list[QueryCitation]) -> None:
        """A short question about the articles it cites — "민법 제750조의 요건", "상법 382조 이사 선임" — read by the
        retrievers and the re-ranker with each cited article's title after its citation, as a lawyer writes it ("민법
        제750조(불법행위의 내용)의 요건"); ``q.asked`` keeps the question as asked. A citation tells a retriever nothing of
        what the article is about: with only "의 요건" to read, dense search and the facts memory had put 민법 제303조
        (전세권의 내용) second, at relevance 89; with the title they read what the question is about (제760조, 제766조
        …). Called only where the words beside the citations are few (:data:`TITLED_REST_TOKENS` of
        :meth:`rest_tokens`): a holding that cites an article in a long text is read as before, every question file's
        ranking unchanged. A citation already followed by a bracket (its title pasted), one a named decision cites
        (its 사건번호 is what was written), or of an article the index lacks or has deleted is left as written."""
        spans = sorted({(c.start, c.end): c for c in cites if not c.via}.items(), reverse=True)
        text = q.text
        for (start, end), cite in spans:  # (from the end: the earlier spans keep their offsets)
            title = self.title_of(cite.key)
            if title and not text[end:].lstrip().startswith(("(", "（", "[")):
                text = f"{text[:end]}({title}){text[end:]}"
        if text != q.text:
            q.asked, q.text, q.tokens = q.text, text, self.tokens(text)

    def _is_law(self, word: str) -> bool:
        """Is ``word`` the name of a law this index holds (a query naming the law: "상법 회사 합병")?"""
        return self.law_names is not None and self.law_names.resolve(word) is not None

    def query(self, text: str) -> Query:
        if not isinstance(text, str):
            raise LegalretError(f"query must be text, not {type(text).__name__}")
        q, notes = self.readable(text)
        if not q:
            raise LegalretError("empty query: type some words or an article citation such as '민법 제750조'")
        return Query(q, self.tokens(q), notes=notes)

    def readable(self, text: str, *, cut: bool = True) -> tuple[str, list[str]]:
        """``text`` as a search reads it — mojibake repaired, normalized, cut to :data:`MAX_QUERY_CHARS` (``cut``),
        other ways of writing article numbers, Hanja and short law names read — and the notices saying so. What a
        citation check or an article lookup reads too, so that they find what the search finds."""
        # the repair reads the raw text: normalizing first would turn NBSP and U+0085 (bytes of a lossy decode)
        # into spaces and lose what the repair needs
        text, notes = repaired_query(text.encode("utf-8", "replace").decode("utf-8"))
        q = clean_query(text)
        if cut and len(q) > MAX_QUERY_CHARS:
            notes.append(query_cut_note(len(q)))
            q = q[:MAX_QUERY_CHARS]
        q = citation_forms(q)  # 민법 §750, 민법 제750, 751조 → 민법 제750조(, 제751조)
        q, read = hangul_query(q, self.word_weight)
        q, named = self.full_law_names(q)
        return q, notes + read + named

    def full_law_names(self, text: str) -> tuple[str, list[str]]:
        """``text`` with the short names of this index's laws written out (:func:`legalret.keys.written_out`:
        ``근기법 제23조`` → ``근로기준법 제23조``), so that a citation resolves and every retriever and the re-ranker
        read the name the articles and holdings use; and a notice saying what was read so — and of the old names of
        laws ``index add --rename`` renamed, which the index reads as the new ones (:func:`renamed_names`): "주택임대차
        보호법 제3조" on an index that renamed it 주택임차인보호법 had answered 주택임차인보호법 제3조 without a word."""
        if self.law_names is None:
            return text, []
        text, pairs = written_out(text, self.law_names)
        notes = [short_names_notice(pairs)] if pairs else []
        renamed = renamed_names(text, getattr(self.law_names, "renamed", {}))
        if renamed:
            notes.append(renamed_names_notice(renamed))
        return text, notes

    def tokens(self, text: str) -> list[str]:
        """The words BM25, the memories and the article profiles search for: the tokenizer's, without party
        names (:data:`PARTY_MARKERS`)."""
        return [t for t in self.tokenizer.tokenize(text) if t not in PARTY_MARKERS]

    def needs_retrieval(self, q: Query, cites: list[QueryCitation], rest: list[str] | None,
                        said: bool = False) -> bool:
        """False for a query with nothing to search for beyond its citations (then no retriever runs and
        no encoder is loaded), or with no indexable content at all (then it gets a notice, no hits — unless ``said``:
        a citation it could not resolve already has its notice, and '제750조' is not "only punctuation"). ``rest``: the
        query's :meth:`rest_tokens` (None without citations)."""
        if not cites:
            if not q.tokens:
                if without_case_numbers(q.text) == q.text and not said:  # (a 사건번호 alone has its own notice)
                    q.notes.append(NO_WORDS)
                return False
            return True
        return bool(rest)

    def rest_tokens(self, q: Query, cites: list[QueryCitation]) -> list[str]:
        """The tokens of ``q``'s text beside its citations: their spans — and any 사건번호 — left out."""
        rest = q.text
        for start, end in sorted({(c.start, c.end) for c in cites}, reverse=True):  # (a decision's citations share one span)
            rest = rest[:start] + " " + rest[end:]
        return self.tokens(without_case_numbers(rest))
