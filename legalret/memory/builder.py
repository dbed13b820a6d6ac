"""Building the precedent memory: build, add, re-resolve, and migrate the old layout — the one place that
changes a :class:`~legalret.memory.store.PrecedentMemory`'s items.

The encoder is passed in (``encoder=``) where vectors are made; a BM25-only memory needs none.
:func:`migrate_legacy` is the only reader of the format-1 layout (``<index>/memory`` beside the generations).
:mod:`legalret.memory.update` puts these together for a new index generation.

Usage::

    from legalret.memory.builder import add_precedents, build_memory, reresolve

    memory = build_memory(read_precedents(["precedent-kr.zip"]),
                          encoder=None,                     # BM25 only; pass an Encoder for dense
                          keep_keys=article_keys)           # only keys the article index has
    add_precedents(memory, read_precedents(["new-decisions/"]))   # incremental, by 사건번호
    reresolve(memory, catalog)                                    # after the articles changed

Precedents may be :class:`legalret.precedents.parse.Precedent` objects or plain dicts with the same
fields (``case_no``, ``decided``, ``holdings: [{index, text, summary, keys, citations}]`` …).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, NamedTuple

import numpy as np

from legalret.errors import IndexError_, SourceError
from legalret.index.bm25 import TokenStore
from legalret.keys import law_of
from legalret.memory.format import ITEMS, META, MemoryItem, as_date
from legalret.memory.store import PrecedentMemory
from legalret.precedents.citations import citation_dict
from legalret.precedents.facts import case_key, decision_key
from legalret.progress import track
from legalret.text import normalize


def _field(obj: Any, name: str, default: Any = None) -> Any:
    """Attribute or dict access, so both E's dataclasses and plain JSON records work."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)



def _citation_dicts(holding: Any) -> list[dict]:
    return [citation_dict(c) for c in _field(holding, "citations", None) or []]


def items_from_precedent(precedent: Any, keep_key: Callable[[str], bool] | None = None) -> list[MemoryItem]:
    """The memory items of one precedent: its holdings that cite at least one kept article key.

    Raises :class:`SourceError` (naming the precedent's source and the field) on a malformed record.
    """
    source = str(_field(precedent, "source", "") or "<precedent>")
    case_no = _field(precedent, "case_no")
    if not case_no:
        raise SourceError(source, "missing case number", field="case_no")
    try:
        decided = as_date(_field(precedent, "decided"))
    except ValueError as e:
        raise SourceError(source, f"{case_no}: {e}", field="decided") from e
    items = []
    for pos, holding in enumerate(_field(precedent, "holdings", None) or [], 1):
        text = normalize(_field(holding, "text", "") or "")
        keys = [k for k in dict.fromkeys(_field(holding, "keys", None) or []) if keep_key is None or keep_key(k)]
        if not text or not keys:
            continue
        items.append(
            MemoryItem(
                case_no=normalize(str(case_no)),
                decided=decided,
                index=int(_field(holding, "index", pos) or pos),
                text=text,
                keys=keys,
                summary=normalize(_field(holding, "summary", "") or ""),
                case_name=normalize(_field(precedent, "case_name", "") or ""),
                court=normalize(_field(precedent, "court", "") or ""),
                serial=str(_field(precedent, "serial", "") or ""),
                citations=_citation_dicts(holding),
            )
        )
    return items


def _tokenize_all(tokenizer, texts: list[str], description: str, chunk: int = 512) -> list[list[str]]:
    batch = getattr(tokenizer, "tokenize_many", None)  # KiwiTokenizer: Kiwi's own worker threads
    if batch is None or len(texts) <= 1:
        return [list(tokenizer.tokenize(t)) for t in track(texts, description)]
    # in chunks, so that progress moves: Kiwi reads its whole input at once (54k memory texts: minutes)
    chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
    return [list(t) for part in track(chunks, description, total=len(texts), advance=len) for t in batch(part)]


def _keep_key_fn(keep_keys: Collection[str] | Callable[[str], bool] | None) -> Callable[[str], bool] | None:
    if keep_keys is None or callable(keep_keys):
        return keep_keys  # type: ignore[return-value]
    allowed = frozenset(keep_keys)
    return allowed.__contains__


def memory_texts(items: Iterable[MemoryItem], with_summary: bool = True) -> list[str]:
    """The texts a memory tokenizes for ``items`` (the holding, with its 판결요지 when ``with_summary``)."""
    return [it.search_text(with_summary) for it in items]


def tokenize_items(memory: PrecedentMemory, items: list[MemoryItem]) -> list[list[str]]:
    """The BM25 tokens of ``items`` as ``memory`` indexes them (its tokenizer, summary setting, token cut)."""
    tokens = _tokenize_all(memory.tokenizer, memory_texts(items, memory.with_summary), f"tokenizing {memory.kind}")
    return [t[: memory.max_tokens] for t in tokens] if memory.max_tokens else tokens  # long facts: the opening


def memory_from_items(items: Iterable[MemoryItem], **options: Any) -> PrecedentMemory:
    """A memory of ready items (tokenized here); ``options`` go to :class:`PrecedentMemory`."""
    memory = PrecedentMemory(**options)
    add_items(memory, items)
    return memory


def build_memory(
    precedents: Iterable[Any],
    encoder=None,
    tokenizer=None,
    *,
    with_summary: bool = True,
    keep_keys: Collection[str] | Callable[[str], bool] | None = None,
    batch_size: int = 64,
) -> PrecedentMemory:
    """Index the holdings of ``precedents``.

    ``encoder`` (an :class:`~legalret.models.encoder.Encoder`) adds dense vectors; without it the memory
    is BM25 only — the setting the vote defaults were tuned in. Encoding is the expensive part: the ~31k
    train-split holdings citing 민법/상법 take hours with me5-small on 2 CPU cores, minutes on a GPU.
    ``keep_keys`` (a set of article keys or a predicate) keeps only citations the article index can
    return. ``with_summary`` indexes 판시사항 + 판결요지. A malformed precedent is skipped and recorded
    in ``memory.errors``; it never aborts the build.
    """
    memory = PrecedentMemory(tokenizer=tokenizer, encoder=encoder, with_summary=with_summary)
    keep_only(memory, keep_keys)
    add_precedents(memory, precedents, batch_size=batch_size)
    return memory


def keep_only(memory: PrecedentMemory, keep_keys: Collection[str] | Callable[[str], bool] | None) -> None:
    """Keep only citations to these keys in holdings added from now on (the article index's live keys)."""
    memory.keep_key = _keep_key_fn(keep_keys)
    memory.keep_keys = frozenset(keep_keys) if keep_keys is not None and not callable(keep_keys) else None


def add_precedents(memory: PrecedentMemory, precedents: Iterable[Any], *, encoder=None, batch_size: int = 64) -> dict[str, Any]:
    """Add precedents incrementally, by case number: a new 사건번호 is appended, a known one has its
    holdings replaced (a corrected record). Only new holdings are tokenized and encoded (by ``encoder``,
    default the memory's own; a dense memory needs one).

    A stored holding the new record leaves out while it cites nothing live (read with the index's keys, a holding
    citing only removed articles is left out) is kept, silent (see :func:`add_items`). A known decision whose new
    record cites articles, none of them kept, is *withdrawn*: its stored holdings that vote stop voting (they had
    gone on voting for what the decision no longer cites); one whose new record cites nothing at all is left as it is.

    Returns counts ``{"added": cases, "replaced": cases, "withdrawn": cases, "items": holdings added, "skipped":
    bad records, "citing_no_article_here": good records that cite no article of this index}`` and the case keys
    changed (see :func:`add_items`).
    """
    read = read_items(precedents, memory.keep_key)
    memory.errors.extend(read.errors)
    counts = add_items(memory, read.items, encoder=encoder, batch_size=batch_size, withdrawn=read.withdrawn)
    counts["skipped"] = len(read.errors)
    # (a decision citing only 형법, added to a 민법+상법 index, had been in no count at all; a withdrawn one is counted)
    counts["citing_no_article_here"] = len(read.empty) - counts["withdrawn"]
    return counts


class ReadItems(NamedTuple):
    """What :func:`read_items` read."""

    items: list[MemoryItem]
    errors: list[SourceError]  # malformed records, skipped
    withdrawn: set[tuple[str, str]]  # decisions (:func:`decision_key`) citing articles, none kept, with no items read
    # every decision read with no item: ``withdrawn`` and those citing nothing (default: none; immutable, as shared)
    empty: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset()


def _decision_of(item: MemoryItem) -> tuple[str, str]:
    return decision_key(item.case_no, item.court)


def read_items(precedents: Iterable[Any], keep_key: Callable[[str], bool] | None = None) -> ReadItems:
    """The memory items of ``precedents`` (a later record of the same decision — 사건번호 and court,
    :func:`~legalret.precedents.facts.decision_key` — wins), the malformed records skipped, and the decisions
    withdrawn: the reading half of :func:`add_precedents`, which needs neither a tokenizer nor an encoder (a build
    runs it while the articles are encoded: :class:`legalret.memory.update.MemoryBuild`)."""
    by_decision: dict[tuple[str, str], list[MemoryItem]] = {}
    errors: list[SourceError] = []
    withdrawn: set[tuple[str, str]] = set()
    empty: set[tuple[str, str]] = set()
    for precedent in precedents:
        if isinstance(precedent, SourceError):  # a document the reader could not parse, passed along in the stream
            errors.append(precedent)
            continue
        try:
            items = items_from_precedent(precedent, keep_key)
        except SourceError as e:
            errors.append(e)
            continue
        if items:
            key = _decision_of(items[0])
            by_decision[key] = items
            withdrawn.discard(key)
            empty.discard(key)
            continue
        key = decision_key(normalize(str(_field(precedent, "case_no"))), normalize(_field(precedent, "court", "") or ""))
        if key not in by_decision:  # (a record read earlier in the same batch stays, as it did)
            empty.add(key)
            if _cites_anything(precedent):
                withdrawn.add(key)
    return ReadItems([it for items in by_decision.values() for it in items], errors, withdrawn, empty)


def _cites_anything(precedent: Any) -> bool:
    return any(_field(h, "citations", None) or _field(h, "keys", None) for h in _field(precedent, "holdings", None) or [])


def add_items(memory: PrecedentMemory, items: Iterable[MemoryItem], *, encoder=None, batch_size: int = 64,
              withdrawn: Collection[tuple[str, str]] = ()) -> dict[str, Any]:
    """Add ready :class:`MemoryItem` s (e.g. one facts item per decision), by decision (사건번호 and court,
    :func:`~legalret.precedents.facts.decision_key`): the items of a known decision replace its stored ones — all
    but those citing nothing live that the new items do not bring back (same decision and index), which stay. The
    stored items of the ``withdrawn`` decisions go the same way, with nothing brought back. A decision whose items are
    the stored ones exactly is left as it is (an unchanged re-add writes no generation: each one had pruned an older
    one). Only the new items are tokenized and encoded.

    Returns counts ``{"added", "replaced", "withdrawn"}`` (decisions), ``"items"`` (added), and two lists:
    ``"cases"``, the case keys (:func:`~legalret.precedents.facts.case_key`) whose items changed
    (:func:`legalret.memory.facts.rekey_facts` needs no others), and ``"withdrawn_cases"``, the withdrawn decisions'
    case numbers as stored."""
    new_items: dict[tuple[str, str], list[MemoryItem]] = {}
    for it in items:
        new_items.setdefault(_decision_of(it), []).append(it)
    withdrawn = set(withdrawn)
    wanted_cases = {case for case, _ in new_items.keys() | withdrawn}
    # only the rows of the cases read are decoded (a memory loaded from disk decodes its items on access)
    row_decision: dict[int, tuple[str, str]] = {}
    stored: dict[tuple[str, str], list[MemoryItem]] = {}
    for row, case_no in enumerate(memory._case_nos):
        if case_key(case_no) in wanted_cases:
            item = memory.items[row]
            row_decision[row] = _decision_of(item)
            stored.setdefault(row_decision[row], []).append(item)
    for key in [k for k, its in new_items.items() if stored.get(k) == its]:
        del new_items[key]
    # a withdrawn decision changes the memory only where one of its stored items still votes
    gone = {k for k in withdrawn if k not in new_items and any(it.keys for it in stored.get(k, ()))}
    replaced = (set(stored) & new_items.keys()) | gone
    if not new_items and not gone:
        return {"added": 0, "replaced": 0, "withdrawn": 0, "items": 0, "skipped": 0, "cases": [], "withdrawn_cases": []}

    fresh = [it for items in new_items.values() for it in items]
    fresh_tokens = tokenize_items(memory, fresh)
    encoder = encoder if encoder is not None else memory.encoder
    fresh_vecs = None
    if encoder is not None and fresh:
        # Dense vectors embed the holding (판시사항) alone: 판결요지 triples the encoding cost on CPU
        # (measured: 64 holdings 18 s vs 56 s with me5-small on 2 busy cores) and BM25 already sees it.
        fresh_vecs = np.asarray(encoder.encode_passages([it.text for it in fresh], batch_size=batch_size), dtype=np.float32)
        fingerprint = encoder.fingerprint
        if memory.dense is not None and memory.encoder_fingerprint != fingerprint:
            raise IndexError_(
                f"memory vectors were made by {memory.encoder_fingerprint!r}, not by {fingerprint!r}; rebuild the memory"
            )
        memory.encoder, memory.encoder_fingerprint = encoder, fingerprint
    elif memory.dense is not None and fresh:
        raise IndexError_("this memory has dense vectors: pass the same encoder to add precedents to it")

    # A replaced case's stored items that the new record does not bring back and that cite nothing live now stay
    # as they are: an ``index add`` re-reads a decision with the index's live keys, which leaves out a holding citing
    # only removed articles — dropping the stored one would lose it for good (a partial add of a law, then the
    # full one). Re-resolved (:func:`reresolve`) before this, it votes again once its article is back.
    brought = {(_decision_of(it), it.index) for it in fresh}
    keep_rows = [row for row in range(len(memory.items))
                 if row_decision.get(row) not in replaced
                 or (not memory.items[row].keys and (row_decision[row], memory.items[row].index) not in brought)]
    vectors = None
    if memory.embeddings is not None:
        kept = memory.embeddings[keep_rows]
        vectors = kept if fresh_vecs is None else np.vstack([kept, fresh_vecs]).astype(np.float32)
    elif fresh_vecs is not None:
        vectors = fresh_vecs
    memory.install(
        [memory.items[i] for i in keep_rows] + fresh,
        TokenStore.from_lists([memory.tokens.get(i) for i in keep_rows] + fresh_tokens),
        vectors,
    )
    return {"added": len(new_items.keys() - set(stored)), "replaced": len(replaced - gone), "withdrawn": len(gone),
            "items": len(fresh), "skipped": 0, "cases": sorted({case for case, _ in new_items.keys() | gone}),
            "withdrawn_cases": sorted(stored[k][0].case_no + (f" ({stored[k][0].court})" if stored[k][0].court else "")
                                      for k in gone)}


def reresolve(memory: PrecedentMemory, catalog: Any) -> dict[str, int]:
    """Re-resolve every holding's citations against ``catalog`` (an
    :class:`~legalret.precedents.citations.ArticleCatalog`: the articles of the index after an update).

    Holdings keep their parsed 참조조문 (records read with keys only keep the keys they were read with, in
    ``cited``), so a renamed, added or re-added article is picked up. **No item is ever dropped**: one left
    citing nothing live keeps its row and simply does not vote (``allowed_mask`` leaves it out) until
    an article it cites comes back — re-adding an article restores exactly the votes it had. Tokens, BM25
    matrix and vectors are untouched (the rows do not change). Returns ``{"items", "changed",
    "silent_items", "removed_citations", "added_citations"}``; ``silent_items`` cite nothing live now.

    A law renamed since (``index add --rename``: the catalog reads its old name as the new one) keeps its holdings'
    votes, on the new name's articles: parsed citations resolve through the catalog's names, and the keys of a record
    read with keys only are read the same way (:func:`_as_named_now`)."""
    from legalret.precedents.citations import Citation, predates_numbering, resolve

    new_items: list[MemoryItem] = []
    changed = removed = added = silent = 0
    for row in range(len(memory.items)):
        item = memory.items[row]
        if item.citations:
            keys, _ = resolve([Citation(**c) for c in item.citations], catalog)
            cited = []
        else:
            read_with = item.cited or item.keys
            keys = list(dict.fromkeys(k for k in (_as_named_now(k, catalog) for k in read_with) if k in catalog))
            cited = list(read_with) if keys != read_with else []
        keys = [k for k in keys if not predates_numbering(k, item.decided)]  # 의용민법 / 구 상법 numbers
        if keys != item.keys or cited != item.cited:
            changed += 1
            removed += len(set(item.keys) - set(keys))
            added += len(set(keys) - set(item.keys))
            item = MemoryItem(**{**item.__dict__, "keys": keys, "cited": cited})
        silent += not keys
        new_items.append(item)
    counts = {"items": len(new_items), "changed": changed, "silent_items": silent,
              "removed_citations": removed, "added_citations": added}
    memory.keep_key = catalog.__contains__
    memory.keep_keys = None
    if changed:
        memory.replace_keys(new_items)
    return counts


def _as_named_now(key: str, catalog: Any) -> str:
    """``key`` with its law as the catalog names it now (a renamed law's old name: its new one); a law the catalog
    does not know, or names as the key does, leaves the key as it is."""
    law = law_of(key)
    now = catalog.law_names.resolve(law)
    return key if now is None or now == law else now + key[len(law):]


def migrate_legacy(directory: str | os.PathLike, tokenizer=None) -> PrecedentMemory:
    """Read a format-1 memory (``meta.json`` + ``items.jsonl``, from before the memory lived inside the
    index generations) so it can be written into one: the holdings are re-tokenized with ``tokenizer`` (the
    index's), vectors are dropped (rebuild with ``--memory-dense`` to get them back). Its citations still
    need :func:`reresolve` against the index's articles."""
    d = Path(directory)
    items = []
    try:
        meta = json.loads((d / META).read_text(encoding="utf-8"))
        with open(d / ITEMS, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    items.append(MemoryItem.from_dict(json.loads(line)))
    except (OSError, ValueError, TypeError, KeyError) as e:
        raise IndexError_(f"{d}: cannot read the old precedent memory ({type(e).__name__}: {e}); rebuild with --precedents") from e
    return memory_from_items(items, tokenizer=tokenizer, with_summary=bool(meta.get("with_summary", True)))
