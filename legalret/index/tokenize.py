"""Korean tokens for BM25: Kiwi morphemes, content words only, compounds **and** their parts.

Kiwi segments the same word differently depending on context — ``유치권`` alone is one proper noun, but in
``유치권을`` it becomes ``유치`` + ``권`` (suffix); ``간접점유`` in an article is one token, in a query two.
Exact-token BM25 then misses obvious matches. Like Lucene nori's ``decompound_mode="mixed"``, we therefore
emit, for every run of adjacent noun-like morphemes (no space between them):

* each noun part (``유치``, ``간접``, ``점유``), suffixes glued to the noun before them (``청구`` + ``권`` → ``청구권``);
* every two adjacent parts joined (``손해배상``, ``배상청구권``) when the run has three or more parts;
* the whole compound (``손해배상청구권``, ``유치권``, ``간접점유``).

so both segmentations share the whole-compound token and the part tokens. Verb/adjective stems are kept
except a short list of function-like ones (하, 되, 있, …). Particles, endings, punctuation and numbers are dropped.

Usage::

    from legalret.index.tokenize import KiwiTokenizer

    tok = KiwiTokenizer()                 # one Kiwi per settings per process (loading takes ~1 s)
    tok.tokenize("유치권을 행사하는 자")    # ['유치', '유치권', '행사']
    tok.tokenize_many(texts)              # list of token lists, Kiwi's own worker threads, order kept
    tok.settings                          # stored in the index manifest; queries use the same settings
    tok.cached, tok.analysed              # texts tokenize_many read from the token cache / ran through Kiwi

``tokenize_many`` (what builds, ``index add`` and the memories call) reads and fills the tokenization cache
(:mod:`legalret.index.token_cache`, ``$LEGALRET_HOME/cache/tokens``): a text tokenized once with the same
settings is not analysed again. ``KiwiTokenizer(cache=False)`` or ``LEGALRET_TOKEN_CACHE=off`` turns it off.
Queries (``tokenize``) never touch it.

Kiwi runs its analyses on ``num_workers`` threads of its own (C++, outside the GIL), so articles and memory
texts already use both cores: on this project's 2-core machine both threads stay busy (CPU time 193 / 171 ticks
on 120 facts texts, the Python thread 7), 2 threads are 1.6–2.1× faster than 1, and 2 worker processes
(a Kiwi each) were no faster than 2 threads — 0.83–1.23× their wall time on articles, holdings and facts
(``python benchmarks/build_stages.py kiwi``; the token selection below is ~3 % of the CPU time).
"""

from __future__ import annotations

import os
import re
import sys
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Iterable, Sequence

#: Morpheme tags that carry content and can form compounds (general/proper noun, root, Latin, Hanja).
NOUN_TAGS = ("NNG", "NNP", "XR", "SL", "SH")
#: Verb and adjective stems: kept as tokens of their own (never part of a compound).
PREDICATE_TAGS = ("VV", "VA")
#: Stems too common or too grammatical to help ranking.
PREDICATE_STOPWORDS = ("하", "되", "있", "없", "않", "이", "아니", "같", "그렇", "위하", "대하", "의하", "관하", "말")
#: Glued to a neighbouring noun, these join the compound (비+용 → 비용 stays, 미+성년 → 미성년, 청구+권 → 청구권).
PREFIX_TAG = "XPN"
SUFFIX_TAG = "XSN"
#: Units that make a number a quantity a question can turn on (10년 → 민법 제162조, 14세, 5천만원): with
#: ``TokenizerSettings.quantities`` a number glued to one of them is also the token "<number><unit>".
#: Structural units (조, 항, 호, 목, 장, 절, 편, 관) are not quantities: citations resolve on their own.
QUANTITY_UNITS = frozenset(("년", "개월", "월", "일", "주", "주일", "주간", "시간", "분", "세", "살", "원", "배", "회",
                            "명", "인", "개", "퍼센트", "%"))


#: Settings that choose which settings a text is tokenized with rather than change a KiwiTokenizer's tokens: the
#: token cache leaves them out of its fingerprint (the article tokenizer's own ``kiwi_cutoff`` is in it).
NOT_READ_BY_TOKENIZER = ("article_cutoff",)


@dataclass(frozen=True)
class TokenizerSettings:
    """Everything that changes the tokens; written to the index manifest so queries match the index."""

    name: str = "kiwi"
    mixed: bool = True  # emit compound parts (nori "mixed" decompounding)
    bigrams: bool = True  # emit adjacent-part compounds inside runs of 3+ parts
    noun_tags: tuple[str, ...] = NOUN_TAGS
    predicate_tags: tuple[str, ...] = PREDICATE_TAGS
    predicate_stopwords: tuple[str, ...] = PREDICATE_STOPWORDS
    user_words: tuple[str, ...] = field(default_factory=tuple)  # extra NNP entries (e.g. legal terms)
    # Kiwi's multi-word (다어절) dictionary: loading it costs ~2 s of every cold start and ~190 MB, and no token of
    # ours changes without it (0 of 2,381 민법+상법 articles and 0 of 366 dev questions differ).
    multi_dict: bool = False
    # Kiwi's typo dictionary (common misspellings, chat-style endings): ~0.1 s of CPU at every start (Kiwi() + first
    # analysis 1.37 → 1.26 s CPU, medians of 12 fresh processes), and no token of ours changes without it (0 of 2,381
    # 민법+상법 articles and 0 of 366 user questions differ). (kiwipiepy_model ships only the CoNg model, so a
    # lighter model is not an option.)
    typo_dict: bool = False
    # Kiwi's default dictionary (default.dict: extra nouns and compounds). Without it Kiwi() + its first analysis
    # take 1.3–1.5 instead of 2.2–2.7 s (an AVX-only EPYC) — the floor of a cold search — and batches run 1.06×
    # faster; tokens change (316 of 2,381 민법+상법 articles) but the default search does not lose: tune mean of
    # recall@10 and MRR@10 0.8216 → 0.8205, report 0.8287 → 0.8295 (experiments/tokenizer_variant.py). Indexes
    # built before keep it (their manifests say so).
    default_dict: bool = False
    # A number glued to a unit (QUANTITY_UNITS) also gives "<number><unit>" ("10년", "14세", "5천만원"); without it
    # numbers never reach BM25 or the holdings memory. Off: on the main job's index it did not help the default
    # (tune mean of recall@10 and MRR@10 0.8216 → 0.8189, keyword recall −0.012; experiments/tokenizer_variant.py).
    quantities: bool = False
    # Kiwi's beam cutoff (``Kiwi.global_config.cutoff_threshold``; Kiwi's own default 8.0): how far below the best
    # path a candidate may score and still be kept. 3.0 makes Kiwi 1.5× faster (the all-law build 23.6 → 21.2 min,
    # same day) and held on both indexes' tune halves, but it mis-analyses common endings — "…할 수 있는가?" gives a
    # noun "가" (169 of 871 questions), "…인지 여부" a noun "지" (350 of 4,000 holdings) — and the 민법+상법 report halves
    # lost short and scenario recall (−0.023, −0.027), so Kiwi's default stays (experiments/tokenizer_variant.py).
    kiwi_cutoff: float = 8.0
    # Kiwi's beam cutoff for the index's article texts only (``for_articles``; the questions and the memories' texts
    # keep ``kiwi_cutoff``). A statute's sentences lose little to the pruned beam — at 3.0 no question file finds fewer
    # of its tokens in its gold articles' — and the articles are most of an all-law build's Kiwi time (1.63× less at
    # 3.0). 3.0 held every tune and all-law report read but one question of the 민법+상법 report halves (short recall@10
    # 0.849 → 0.837, past its rule's 0.01), so Kiwi's 8.0 stays the default (experiments/tokenizer_variant.py); the
    # all-law corpus sets 3.0 in its manifest (corpora/all-acts-decrees.yaml), where it lost nothing. A KiwiTokenizer
    # never reads this field.
    article_cutoff: float = 8.0

    @classmethod
    def with_overrides(cls, overrides: dict, source: str) -> "TokenizerSettings":
        """The default settings with ``overrides`` (a corpus manifest's ``tokenizer:`` mapping). A name that is no
        field, a value of another type than the field's default, or one out of its range (a Kiwi cutoff that is not
        a finite number above 0 and at most :data:`MAX_KIWI_CUTOFF`, an unknown Kiwi tag, an empty word) is a
        :class:`~legalret.errors.SourceError` naming ``source`` and ``tokenizer.<name>``: a misspelt or impossible
        setting must not build with the default, or an index without words, quietly (``article_cutoff: -5`` had
        built one with no BM25 vocabulary).
        The list fields (``user_words``, ``noun_tags``, ``predicate_tags``, ``predicate_stopwords``) take a list
        (YAML's ``[임차권등기명령]``), kept as a tuple."""
        from legalret.errors import SourceError

        defaults = cls()
        values = {}
        for name, value in overrides.items():
            if name not in cls.__dataclass_fields__ or name == "name":  # (``name`` chooses the tokenizer itself)
                known = ", ".join(f for f in cls.__dataclass_fields__ if f != "name")
                raise SourceError(source, f"unknown tokenizer setting {name!r} (known: {known})", field=f"tokenizer.{name}")
            problem = _setting_problem(name, value, getattr(defaults, name))
            if problem:
                raise SourceError(source, problem, field=f"tokenizer.{name}")
            default = getattr(defaults, name)
            values[name] = (float(value) if isinstance(default, float)
                            else tuple(value) if isinstance(default, tuple) else value)
        return replace(defaults, **values)

    def for_articles(self) -> "TokenizerSettings":
        """The settings an index's article texts are tokenized with: ``kiwi_cutoff`` set to ``article_cutoff``."""
        return replace(self, kiwi_cutoff=self.article_cutoff)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["kiwipiepy"] = _kiwi_version()
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict) -> "TokenizerSettings":
        known = {f for f in cls.__dataclass_fields__}
        kw = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in known}
        kw.setdefault("multi_dict", True)  # indexes written before these fields existed were tokenized with
        kw.setdefault("typo_dict", True)  # both dictionaries (Kiwi's defaults): they keep them
        kw.setdefault("default_dict", True)  # (always loaded before the field existed)
        kw.setdefault("kiwi_cutoff", 8.0)  # (Kiwi's own default before the field existed)
        kw.setdefault("article_cutoff", kw["kiwi_cutoff"])  # articles were tokenized like everything else
        return cls(**kw)


#: The list settings whose items are Kiwi tags.
_TAG_SETTINGS = ("noun_tags", "predicate_tags")
#: The largest Kiwi beam cutoff a setting may have. From about 50 up Kiwi prunes nothing on statute text: 400 민법
#: paragraphs and 50 eight-paragraph 상법 texts took the same CPU time at 50, 100, 1e308 and infinity (2.6x Kiwi's
#: default 8.0) and gave infinity's morphemes from 20 up (kiwipiepy 0.24). A larger value is the unbounded beam
#: infinity is (refused below), written as a number: ``article_cutoff: 1e308`` had passed the check.
MAX_KIWI_CUTOFF = 100.0
#: A number as a YAML scalar writes it (``3``, ``3.0``, ``.5``, ``1e308``): such a *string* was quoted in the manifest.
_NUMBER_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _kiwi_tags() -> frozenset | None:
    """The part-of-speech tags of the installed Kiwi (kiwipiepy 0.24: 60), or None where it does not list them."""
    try:
        from kiwipiepy.utils import _valid_tags

        return frozenset(_valid_tags)
    except (ImportError, TypeError):
        return None


def _setting_problem(name: str, value, default) -> str | None:
    """Why ``value`` cannot be the :class:`TokenizerSettings` field ``name`` (whose default is ``default``), in
    words for one error line; None when it can.

    * a bool is a YAML ``true``/``false`` (not 1/0);
    * a Kiwi beam cutoff (``kiwi_cutoff``, ``article_cutoff``) is a finite number above 0 and at most
      :data:`MAX_KIWI_CUTOFF`. Kiwi keeps the candidates within that score of the best one: a negative value keeps
      none (kiwipiepy 0.24 then gives no morpheme at all — an index without a word), 0 keeps only the best-scoring
      path (a greedy beam: not "no cutoff", which is what a user writing 0 may mean), NaN, infinity and anything
      past :data:`MAX_KIWI_CUTOFF` prune nothing (an unbounded beam, and NaN equals no setting, so an index recorded
      with it never matches itself). A number written in quotes (``"3.0"``) is text, as ``"true"`` is no bool: it is
      refused with how to write it (the manifest reader takes ``1e308`` unquoted as a number, as YAML 1.2 does);
    * a list setting is a list of non-empty strings; the tag lists' items are Kiwi tags, and ``noun_tags`` is not
      empty (without noun tags an index has hardly a word). A user word may hold a space (``임차권 등기명령``): Kiwi
      then reads the term written with or without it (``임차권등기명령``, any run of spaces or a line break between)
      as that one noun, one token (``임차권 등기명령``) either way, so it is what a user writing it means (kiwipiepy
      0.24; tests/test_corpus_manifest_values.py).
    """
    import math

    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"must be true or false, not {value!r}"
    if isinstance(default, float):
        if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):  # (quoted in the YAML: say how to write)
            return (f"must be a float, not the text {value!r} (in quotes a number is text: write "
                    f"{name}: {value.strip()})")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be a float, not {value!r}"
        try:
            finite = math.isfinite(value)
        except OverflowError:  # (an int past a float's range)
            finite = False
        if not finite or value <= 0 or value > MAX_KIWI_CUTOFF:
            return (f"must be a finite number above 0 and at most {MAX_KIWI_CUTOFF:g} (Kiwi keeps the analyses within "
                    f"this score of the best: Kiwi's default {default}, lower is faster and coarser; from about 50 up "
                    f"it prunes nothing, as infinity), not {value!r}"
                    + ("; 0 keeps only the best path, it is not 'no cutoff'" if value == 0 else "")
                    + ("; a negative cutoff keeps no analysis: no tokens at all" if value < 0 else ""))
        return None
    if isinstance(default, tuple):
        example = "[NNG, NNP]" if name in _TAG_SETTINGS else "[임차권등기명령]"
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
            return f"must be a list of non-empty strings ({name}: {example}), not {value!r}"
        if name in _TAG_SETTINGS:
            known = _kiwi_tags()
            unknown = [v for v in value if known is not None and v not in known]
            if unknown:
                import difflib

                close = [c for u in unknown for c in difflib.get_close_matches(u.upper(), sorted(known), n=1)]
                hint = f"did you mean {', '.join(close)}? " if close else ""
                return f"unknown Kiwi tag(s) {unknown} ({hint}Kiwi's tags: {', '.join(sorted(known))})"
        if name == "noun_tags" and not value:
            return f"must name at least one tag (default: {', '.join(default)}): without noun tags an index has hardly a word"
        return None
    if not isinstance(value, type(default)):
        return f"must be a {type(default).__name__}, not {value!r}"
    return None


def _kiwi_version() -> str:
    import kiwipiepy

    return getattr(kiwipiepy, "__version__", "unknown")


_KIWI_CACHE: dict[tuple, object] = {}
_KIWI_LOCK = threading.Lock()
_PARENTS_KIWI: list = []  # (in a forked child) the parent's Kiwi objects, never used and never freed


def _forget_kiwi_in_child() -> None:
    """A forked child must not use its parent's Kiwi objects: their worker threads are not in the child (an
    analysis waits on them for ever) and the lock may have been held by another thread at the fork. The child
    loads its own Kiwi when it needs one. The parent's stay referenced: freeing one joins its missing threads."""
    global _KIWI_LOCK
    _PARENTS_KIWI.extend(_KIWI_CACHE.values())
    _KIWI_CACHE.clear()
    _KIWI_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_kiwi_in_child)


def _get_kiwi(user_words: tuple[str, ...], num_workers: int, multi_dict: bool = False, typo_dict: bool = False,
              default_dict: bool = False, cutoff: float = 8.0):
    """One Kiwi per (dictionary, workers, cutoff) per process: loading the model costs about a second."""
    key = (user_words, num_workers, multi_dict, typo_dict, default_dict, float(cutoff))
    with _KIWI_LOCK:
        kiwi = _KIWI_CACHE.get(key)
        if kiwi is None:
            from kiwipiepy import Kiwi

            kiwi = Kiwi(num_workers=num_workers, load_default_dict=default_dict, load_multi_dict=multi_dict,
                        load_typo_dict=typo_dict)
            kiwi.global_config.cutoff_threshold = float(cutoff)
            for word in user_words:
                kiwi.add_user_word(word, "NNP")
            _KIWI_CACHE[key] = kiwi
        return kiwi


class TokensAhead:
    """A query's tokens from a Kiwi started in a forked child at the first moment of a cold ``legalret search``.

    Kiwi's start-up — ``Kiwi()`` and the dictionary it builds on its first analysis, 1.2–1.5 s on this project's
    machines — holds the GIL, so no thread can overlap it; it was half of a cold search. :meth:`start` forks a
    child that loads Kiwi (with ``settings``, by default the defaults every shipped index records) on the other
    core while this process parses the command line, imports, opens the index and loads the query encoder;
    :meth:`send` gives it the query as soon as that is known. The first :meth:`KiwiTokenizer.tokenize` of that
    text with the child's settings then takes the child's tokens — computed by the same code, so identical — and
    Kiwi is never loaded here. Anything else — another text, other settings (an index with its own user words),
    a child that failed or is not done within ``timeout`` seconds, a platform without ``fork`` — and ``tokenize``
    loads Kiwi here as always. The child is stopped once its answer is taken or not wanted, at the latest when
    this process exits.

    Usage::

        ahead = TokensAhead.start()               # first thing
        ...                                       # parse the command line, import, open the index
        ahead.send(query)                         # the query as the searcher will tokenize it
        KiwiTokenizer(settings).tokenize(query)   # the child's tokens (when settings are the child's)
    """

    #: Seconds to wait for the child before analysing here instead (a stuck child must not hang a search).
    timeout = 60.0
    running: "TokensAhead | None" = None  # (one child per process)

    def __init__(self, settings: TokenizerSettings, pid: int, requests: int, replies: int):
        self.settings, self.pid, self.requests, self.replies = settings, pid, requests, replies
        self.text: str | None = None

    @classmethod
    def start(cls, settings: TokenizerSettings | None = None) -> TokensAhead | None:
        """Fork the child (None where there is nothing to gain: no ``fork``, Kiwi already loaded here, a child
        already running)."""
        if _KIWI_CACHE or cls.running is not None or sys.platform != "linux":
            return None
        settings = settings or TokenizerSettings()
        requests, to_child = os.pipe()
        from_child, replies = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (requests, to_child, from_child, replies):
                os.close(fd)
            return None
        if pid == 0:  # the child: never returns
            os.close(to_child), os.close(from_child)
            _tokenize_ahead(settings, requests, replies)
        os.close(requests), os.close(replies)
        cls.running = ahead = cls(settings, pid, to_child, from_child)
        import atexit

        atexit.register(ahead.close)
        return ahead

    def send(self, text: str) -> None:
        """The text the child is to analyse (once; a query fits in the pipe's buffer, so this does not wait)."""
        if self.requests is None or self.text is not None:
            return
        self.text = text
        try:
            _write_all(self.requests, text.encode("utf-8", "replace"))
        except OSError:  # the child is gone: tokenize analyses here
            pass
        os.close(self.requests)
        self.requests = None

    @classmethod
    def take(cls, text: str, settings: TokenizerSettings) -> list[str] | None:
        """The child's tokens of ``text`` if it was sent that text and runs with ``settings``; None: analyse here."""
        ahead = cls.running
        if ahead is None or ahead.text != text:
            return None
        try:
            reply = ahead._reply() if settings == ahead.settings else None
        finally:
            ahead.close()
        return list(reply["tokens"]) if reply is not None and reply.get("text") == text else None

    def _reply(self) -> dict | None:
        import json
        import select
        import time

        chunks, deadline = [], time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.replies], [], [], left)[0]:
                return None
            chunk = os.read(self.replies, 1 << 16)
            if not chunk:  # the child closed its end: done, or failed before writing
                break
            chunks.append(chunk)
        try:
            return json.loads(b"".join(chunks)) if chunks else None
        except ValueError:
            return None

    def close(self) -> None:
        """Stop and reap the child (its answer is taken, or no longer wanted)."""
        import signal

        if TokensAhead.running is self:
            TokensAhead.running = None
        for name in ("requests", "replies"):
            fd = getattr(self, name)
            if fd is not None:
                os.close(fd)
                setattr(self, name, None)
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _tokenize_ahead(settings: TokenizerSettings, requests: int, replies: int) -> None:
    """The child of :meth:`TokensAhead.start`: Kiwi loaded and its dictionary built, then the text read from
    ``requests`` (until the parent closes it) and the reply (JSON: text, tokens) written to ``replies``; exits
    without running the parent's exit handlers or flushing its buffers (``os._exit``)."""
    code = 1
    try:
        import json

        TokensAhead.running = None  # (this process's tokenize must not wait for itself)
        tokenizer = KiwiTokenizer(settings, num_workers=1, cache=False)
        tokenizer.kiwi.tokenize("가")  # Kiwi builds its dictionary on the first analysis: now, while we wait
        chunks = []
        while chunk := os.read(requests, 1 << 16):
            chunks.append(chunk)
        if chunks:
            text = b"".join(chunks).decode("utf-8")
            reply = {"text": text, "tokens": tokenizer.tokenize(text)}
            _write_all(replies, json.dumps(reply, ensure_ascii=False).encode("utf-8"))
        code = 0
    except BaseException:  # noqa: BLE001 — the parent analyses the text itself when no reply comes
        pass
    finally:
        os._exit(code)


def default_workers() -> int:
    """Kiwi worker threads for batch tokenization: ``LEGALRET_TOKENIZER_WORKERS`` (checked there: 'many' is a
    one-line error, no longer a ValueError traceback), else the machine's cores, at most 2 (it is shared)."""
    from legalret.config import env_tokenizer_workers

    return env_tokenizer_workers() or max(1, min(2, os.cpu_count() or 1))


class KiwiTokenizer:
    """Content-word Kiwi tokenizer with mixed decompounding (see module docstring).

    Deterministic: the same text and settings always give the same tokens, whatever the worker count.
    """

    def __init__(self, settings: TokenizerSettings | dict | None = None, *, num_workers: int | None = None,
                 cache: bool = True):
        if isinstance(settings, dict):
            settings = TokenizerSettings.from_dict(settings)
        self.settings: TokenizerSettings = settings or TokenizerSettings()
        if self.settings.name != "kiwi":
            raise ValueError(f"unknown tokenizer {self.settings.name!r} (only 'kiwi' is implemented)")
        self.num_workers = num_workers or default_workers()
        self._nouns = frozenset(self.settings.noun_tags)
        self._preds = frozenset(self.settings.predicate_tags)
        self._pred_stop = frozenset(self.settings.predicate_stopwords)
        self._quantities = bool(self.settings.quantities)
        self._use_cache = cache
        self.cached = 0  # texts tokenize_many read from the token cache
        self.analysed = 0  # texts tokenize_many ran through Kiwi

    @property
    def kiwi(self):
        s = self.settings
        return _get_kiwi(tuple(s.user_words), self.num_workers, s.multi_dict, s.typo_dict, s.default_dict,
                         s.kiwi_cutoff)

    # ---- public API ----------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[str]:
        """Tokens of one text (a query or an article)."""
        if not text or not text.strip():
            return []
        if TokensAhead.running is not None:
            ahead = TokensAhead.take(text, self.settings)
            if ahead is not None:
                return ahead
        return self._select(self.kiwi.tokenize(text))

    def tokenize_many(self, texts: Sequence[str] | Iterable[str]) -> list[list[str]]:
        """Tokens of many texts, analysed by Kiwi's worker threads; the output order is the input order.

        Texts in the token cache are read from it; the others (each distinct text once) are analysed and
        added to it as one chunk — so a build killed later keeps this batch's work."""
        texts = [t if t and t.strip() else " " for t in texts]
        if not texts:
            return []
        from legalret.index.token_cache import TokenCache

        cache = TokenCache.for_tokenizer(self) if self._use_cache else None
        if cache is None:
            self.analysed += len(texts)
            return self._analyse(texts)
        from legalret.index.dense import text_hash

        hashes = [text_hash(t) for t in texts]
        out = cache.get_many(hashes)
        todo: dict[str, list[int]] = {}
        for i, tokens in enumerate(out):
            if tokens is None:
                todo.setdefault(hashes[i], []).append(i)
        self.cached += sum(tokens is not None for tokens in out)
        if todo:
            fresh = self._analyse([texts[rows[0]] for rows in todo.values()])
            for tokens, rows in zip(fresh, todo.values()):
                for i in rows:
                    out[i] = list(tokens)
            cache.put_many(list(todo), fresh)
            self.analysed += len(todo)
        return out  # type: ignore[return-value]

    def _analyse(self, texts: list[str]) -> list[list[str]]:
        return [self._select(tokens) for tokens in self.kiwi.tokenize(texts)]

    __call__ = tokenize

    # ---- token selection -----------------------------------------------------------------------
    def _select(self, morphs) -> list[str]:
        out: list[str] = []
        run: list[list] = []  # elements of the current compound: [surface, is_noun_part]
        prefix = ""  # a prefix (XPN) waiting for its noun
        end = -1  # where the previous morpheme ended (to tell glued morphemes from spaced ones)
        number = ""  # (quantities) a number, with its glued numerals (5 + 천만), waiting for its unit
        for m in morphs:
            tag, form, start = m.tag, m.form, m.start
            if "-" in tag:  # 'VV-R' / 'VA-I': regular/irregular conjugation marks
                tag = tag.split("-", 1)[0]
            glued = start == end
            if self._quantities:
                if number and glued and tag == "NR":
                    number += form
                    end = start + m.len
                    continue
                if number and glued and form in QUANTITY_UNITS:
                    out.append(number + form)  # (the unit itself is then taken as any morpheme is)
                number = form if tag == "SN" else ""
            if tag in self._nouns:
                if tag == "SL":
                    form = form.lower()
                if not glued:
                    self._flush(run, out)
                    run = []
                run.append([prefix + form if (prefix and glued) else form, form])
                prefix = ""
            elif tag == SUFFIX_TAG and run and glued:
                run[-1][0] += form  # 청구 + 권 → 청구권 (the bare noun part stays in run[-1][1])
            elif tag == PREFIX_TAG:
                self._flush(run, out)
                run, prefix = [], form
            else:
                self._flush(run, out)
                run, prefix = [], ""
                if tag in self._preds and form not in self._pred_stop:
                    out.append(form)
            end = start + m.len
        self._flush(run, out)
        return out

    def _flush(self, run: list[list], out: list[str]) -> None:
        if not run:
            return
        if len(run) == 1:
            glued, bare = run[0]
            if self.settings.mixed and glued != bare:
                out.append(bare)
            out.append(glued)
            return
        if self.settings.mixed:
            for glued, bare in run:
                out.append(bare)
                if glued != bare:
                    out.append(glued)
            if self.settings.bigrams and len(run) >= 3:
                out.extend(run[i][0] + run[i + 1][0] for i in range(len(run) - 1))
        out.append("".join(g for g, _ in run))
