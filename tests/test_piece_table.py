"""PieceTable: the query tokenizer's vocabulary in arrays — every lookup as a dict of the pieces gives it."""

import random

import numpy as np
import pytest

import legalret.models.piece_table as piece_table
from legalret.models.piece_table import PieceTable


def _dict_find(pieces: list[str], text: str, longest: int) -> list[tuple[int, int, int]]:
    """What CompactUnigram asked a dict before: each (start, end, id) of a piece in the text, by start then end."""
    ids = dict(zip(pieces, range(len(pieces))))  # (a repeated piece: its last id)
    return [(i, j, ids[text[i:j]]) for i in range(len(text)) for j in range(i + 1, min(len(text), i + longest) + 1)
            if text[i:j] in ids]


def _found(table: PieceTable, text: str) -> list[tuple[int, int, int]]:
    starts, ends, ids = table.find(text)
    return list(zip(starts, ends, ids.tolist()))


def test_find_and_get_agree_with_a_dict_on_random_vocabularies():
    rng = random.Random(7)
    alphabet = "가나다라민법▁ab1 😀\u200b"
    for _ in range(30):
        pieces = ["".join(rng.choices(alphabet, k=rng.randint(1, 6))) for _ in range(rng.randint(1, 80))]
        pieces.append(pieces[0])  # a repeated piece: the dict keeps its last id
        table = PieceTable.build(pieces)
        assert table is not None and len(table) == len(pieces) and table.longest == max(map(len, pieces))
        for _ in range(20):
            text = "".join(rng.choices(alphabet, k=rng.randint(0, 40)))
            assert _found(table, text) == _dict_find(pieces, text, table.longest), (pieces, text)
        ids = dict(zip(pieces, range(len(pieces))))
        for piece in pieces + ["", "없는말", alphabet * 3]:
            assert table.get(piece) == ids.get(piece), piece
        assert table.get("없는말", -1) == -1


def test_find_on_odd_text():
    table = PieceTable.build(["▁", "▁민법", "민", "법", "😀", "\U0010FFFE", "a" * 16])
    assert _found(table, "▁민법") == [(0, 1, 0), (0, 3, 1), (1, 2, 2), (2, 3, 3)]
    assert _found(table, "") == [] and _found(table, "xyz") == []
    # characters outside the BMP count as one, as Python indexes them
    assert _found(table, "😀민\U0010FFFE") == [(0, 1, 4), (1, 2, 2), (2, 3, 5)]
    assert _found(table, "a" * 20) == [(i, i + 16, 6) for i in range(5)]
    assert _found(table, "\ud800민") == [(1, 2, 2)]  # a lone surrogate is a character like any other


def test_the_arrays_round_trip_and_a_damaged_set_is_refused(tmp_path):
    pieces = ["▁", "▁민법", "민", "법", "제750조"]
    table = PieceTable.build(pieces)
    np.savez(tmp_path / "t.npz", **table.arrays())
    with np.load(tmp_path / "t.npz") as z:
        again = PieceTable.from_arrays({name: z[name] for name in PieceTable.ARRAYS})
    assert _found(again, "▁민법 제750조") == _found(table, "▁민법 제750조") != []
    arrays = table.arrays()
    for name, broken in (("piece_codes", arrays["piece_codes"][:-1]), ("hashes", arrays["hashes"][::-1]),
                         ("hash_ids", arrays["hash_ids"] + 10), ("piece_codes", arrays["piece_codes"].astype(np.int64))):
        with pytest.raises(ValueError):
            PieceTable.from_arrays({**arrays, name: broken})


def test_hash_collisions_never_give_a_wrong_id(monkeypatch):
    # multiplier 0: a string's hash is its last character alone, so collisions are everywhere
    monkeypatch.setattr(piece_table, "MULTIPLIERS", (0,))
    table = PieceTable.build(["ab", "c"])
    assert table is not None and table.multiplier == 0
    assert _found(table, "xbc") == [(2, 3, 1)]  # "xb" hashes as "ab" does: checked, and not taken
    assert table.get("xb") is None and table.get("ab") == 0
    # two pieces that collide with each other: the next multiplier; none left: None (tokenizers is used)
    assert PieceTable.build(["ab", "xb"]) is None
    monkeypatch.setattr(piece_table, "MULTIPLIERS", (0, 0x9E3779B97F4A7C15))
    table = PieceTable.build(["ab", "xb"])
    assert table.multiplier == 0x9E3779B97F4A7C15 and _found(table, "xbab") == [(0, 2, 1), (2, 4, 0)]
