"""The precedent memory's query side: what the retrievers call on a :class:`~legalret.memory.store.PrecedentMemory`.

BM25 scores and dense neighbours over the items, the leakage mask (decided before a date, not of a case
number, citing something live), each item's article keys as arrays for vote counting, IDF and shared tokens
for explain. It reads what :mod:`legalret.memory.store` installed (``items``, ``tokens``, ``bm25``, ``dense``,
``decided_ord``, ``_case_nos``, ``_keys``) and never changes the items; building them is
:mod:`legalret.memory.builder`.

Usage::

    memory = PrecedentMemory.load(part, tokenizer=tokenizer, query_encoder=slot)   # slot.get(): the encoder
    scores = memory.bm25_scores(memory.tokenize("임대차보증금 반환"))      # np.ndarray over items
    mask = memory.allowed_mask(before="2021-03-04", exclude="2019다12345")
    memory.dense_search(memory.encode_query("임대차보증금 반환"), 10, allowed=mask)
"""

from __future__ import annotations

import math
from datetime import date
from typing import Iterable, Sequence

import numpy as np

from legalret.errors import IndexError_
from legalret.memory.format import as_date, case_numbers_of
from legalret.text import normalize



def sort_ranks(strings: Sequence[str]) -> np.ndarray:
    """Each string's position in ``sorted(strings)`` (int64): ties between equal votes are broken by key, in
    the order Python sorts the keys as strings."""
    ranks = np.empty(len(strings), dtype=np.int64)
    ranks[sorted(range(len(strings)), key=strings.__getitem__)] = np.arange(len(strings))
    return ranks


def case_ids_of(case_nos: Sequence[str]) -> np.ndarray:
    """Each 사건번호 field numbered in order of first appearance (int64): one decision, one number."""
    numbers: dict[str, int] = {}
    return np.fromiter((numbers.setdefault(c, len(numbers)) for c in case_nos), dtype=np.int64, count=len(case_nos))


class VoteArrays:
    """Per-item article keys as arrays, for counting votes in numpy: ``ids[offsets[row]:offsets[row + 1]]``
    index ``vocab``; ``vocab_rank`` orders the vocabulary as Python sorts its strings (ties between equal
    votes are broken by key); ``case_ids`` numbers the items' 사건번호 fields (one decision, one vote)."""

    def __init__(self, ids: np.ndarray, offsets: np.ndarray, vocab: list[str], case_nos: Sequence[str],
                 case_ids: np.ndarray | None = None):
        """``case_ids``: :func:`case_ids_of` ``case_nos`` when already made (written with the memory)."""
        self.ids = np.asarray(ids, dtype=np.int64)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.vocab = vocab
        self.vocab_rank = sort_ranks(vocab)
        self.case_ids = case_ids_of(case_nos) if case_ids is None else np.asarray(case_ids, dtype=np.int64)
        self._law_masks: dict[tuple[str, ...], np.ndarray] = {}

    def law_mask(self, prefixes: tuple[str, ...]) -> np.ndarray:
        """Bool over the vocabulary: keys starting with one of ``prefixes`` (cached per filter)."""
        mask = self._law_masks.get(prefixes)
        if mask is None:
            mask = np.fromiter((key.startswith(prefixes) for key in self.vocab), dtype=bool, count=len(self.vocab))
            if len(self._law_masks) < 64:
                self._law_masks[prefixes] = mask
        return mask


class MemoryQueries:
    """The query side of :class:`~legalret.memory.store.PrecedentMemory` (a mixin: the state is the store's)."""

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_dense(self) -> bool:
        return self.dense is not None

    def _by_case(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        if self._indexes is None:
            row_of_case: dict[str, list[int]] = {}
            rows_of_number: dict[str, list[int]] = {}
            for row, case_no in enumerate(self._case_nos):
                row_of_case.setdefault(case_no, []).append(row)
            for case_no, rows in row_of_case.items():
                for number in case_numbers_of(case_no):
                    rows_of_number.setdefault(number, []).extend(rows)
            self._indexes = (row_of_case, rows_of_number)
        return self._indexes

    @property
    def case_numbers(self) -> set[str]:
        """The distinct 사건번호 fields of the stored holdings."""
        return set(self._case_nos)

    def rows_of_case(self, case_no: str) -> list[int]:
        return list(self._by_case()[0].get(normalize(case_no), []))

    def rows_of_number(self, number: str) -> list[int]:
        """The holdings of the decision with this individual case number (``2016다248806``; a merged 사건번호 answers
        to each of its numbers), in stored order."""
        return list(self._by_case()[1].get(number, []))

    def keys_of(self, row: int) -> list[str]:
        """The article keys item ``row`` votes for (from the key arrays of a loaded memory: no item parsing)."""
        if self._keys is None:
            return self.items[row].keys
        ids, offsets, vocab = self._keys
        return [vocab[i] for i in ids[offsets[row] : offsets[row + 1]].tolist()]

    def vote_arrays(self) -> VoteArrays | None:
        """The key arrays of a loaded memory with what vote counting needs besides (built on first use);
        None for a memory whose items are in memory (votes then read each holding's keys)."""
        if self._keys is None:
            return None
        arrays = self._vote_arrays
        if arrays is None:  # (two threads may both build it: the same arrays, one kept)
            arrays = self._vote_arrays = VoteArrays(*self._keys, self._case_nos, getattr(self, "_case_ids", None))
        return arrays

    def case_no_of(self, row: int) -> str:
        return self._case_nos[row]

    def tokens_of(self, row: int) -> list[str]:
        """The BM25 tokens of item ``row``."""
        return self.tokens.get(row)

    def shared_tokens(self, row: int, tokens: set[str]) -> set[str]:
        """``tokens & set(self.tokens_of(row))``, without making the row's ~100–500 token strings: compared as
        token ids (the BM25 matrix numbers terms as the token store does). The same set, its elements added in
        the same order (CPython's intersection walks the smaller set), so it iterates in the same order."""
        store = self.tokens
        ids = np.asarray(store.ids[int(store.offsets[row]) : int(store.offsets[row + 1])])
        if self.bm25 is None or len(np.unique(ids)) <= len(tokens):  # (the row's set is walked: make it)
            return tokens & set(self.tokens_of(row))
        vocab = self.bm25.vocab
        found = np.isin(np.array([vocab.get(t, -1) for t in tokens], dtype=np.int64), ids).tolist()
        return {t for t, hit in zip(tokens, found) if hit}

    def tokenize(self, text: str) -> list[str]:
        return list(self.tokenizer.tokenize(normalize(text)))

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency over the stored holdings (0 ≤ idf; unseen tokens get the max)."""
        n = len(self.items)
        df = 0
        if self.bm25 is not None:
            if self._df is None:  # per-term document counts = the column lengths of the BM25 matrix
                self._df = self.bm25.df
            i = self.bm25.vocab.get(token)
            df = int(self._df[i]) if i is not None else 0
        return math.log(1.0 + (n + 1) / (df + 0.5))

    def bm25_scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every stored holding for the query (zeros when nothing matches)."""
        if self.bm25 is None:
            return np.zeros(len(self.items), dtype=np.float32)
        return np.asarray(self.bm25.scores(query_tokens), dtype=np.float32)

    def encode_query(self, query: str) -> np.ndarray:
        """The query's vector, by the encoder the memory was given: ``encoder`` (loaded, e.g. when building) or
        ``query_encoder`` (anything whose ``get()`` returns it — the searcher's query encoder slot, so that a
        model is loaded on the first dense query, not when the searcher starts); its fingerprint is checked."""
        slot = getattr(self, "query_encoder", None)
        if self.encoder is None and slot is not None and self.dense is not None:
            encoder = slot.get()
            fingerprint = getattr(encoder, "fingerprint", None)
            if self.encoder_fingerprint is not None and fingerprint != self.encoder_fingerprint:
                raise IndexError_(f"memory vectors were made by {self.encoder_fingerprint!r}, but the encoder is "
                                  f"{fingerprint!r}; rebuild the memory")
            self.encoder = encoder
        if self.encoder is None:
            raise IndexError_("this memory was loaded without an encoder: dense search needs one")
        return np.asarray(self.encoder.encode_queries([query]), dtype=np.float32)[0]

    def dense_search(self, query_vec: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-``k`` holdings by inner product; ``allowed`` (bool mask over items) restricts the candidates
        before the top ``k`` is taken, so a leakage filter never shortens the list."""
        if self.dense is None or k <= 0:
            return []
        if allowed is not None and not allowed.any():
            return []
        rows, scores = self.dense.top(query_vec, k, allowed)
        return [(int(r), float(s)) for r, s in zip(rows.tolist(), scores.tolist())]

    def allowed_mask(self, before: date | str | None = None, exclude: str | Iterable[str] | None = None) -> np.ndarray | None:
        """Bool mask of holdings allowed to vote: decided strictly before ``before`` and not of the excluded
        case number(s) — a merged 사건번호 is excluded by any of its individual numbers — and citing at least one
        live article (:meth:`voting_rows`). None when nothing is filtered."""
        voting = self.voting_rows()
        if before is None and not exclude and voting is None:
            return None
        mask = np.ones(len(self.items), dtype=bool) if voting is None else voting.copy()
        if before is not None:
            mask &= self.decided_ord < as_date(before).toordinal()
        if exclude:
            rows_of_number = self._by_case()[1]
            for case_no in [exclude] if isinstance(exclude, str) else exclude:
                for number in case_numbers_of(case_no):
                    rows = rows_of_number.get(number)
                    if rows:
                        mask[rows] = False
        return mask


    def voting_rows(self) -> np.ndarray | None:
        """Bool over items: those citing at least one live article (None when all do, the usual case). An
        item citing nothing live is kept (see :meth:`reresolve`) but must not take a nearest-holding slot."""
        voting = getattr(self, "_voting", None)
        if voting is None:
            if self._keys is not None:
                voting = np.diff(self._keys[1]) > 0
            else:
                voting = np.fromiter((bool(item.keys) for item in self.items), dtype=bool, count=len(self.items))
            self._voting = voting = voting if not voting.all() else np.ones(0, dtype=bool)
        return voting if len(voting) else None

