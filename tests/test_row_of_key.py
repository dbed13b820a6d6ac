"""Searcher's key → row map read through the index's by_key: the dict it replaced, entry for entry."""

import pytest

from legalret.search.searcher import RowOfKey


def test_row_of_key_is_the_dict_of_live_rows():
    keys = ["민법 제1조", "민법 제2조", "민법 제3조", "상법 제1조", "상법 제2조"]
    rows = [0, 2, 4]  # 민법 제2조 and 상법 제1조 are deleted: no row
    by_key = dict(zip(keys, range(len(keys))))
    old = {key: row for row, key in enumerate([keys[i] for i in rows])}
    got = RowOfKey(by_key, rows, len(keys))
    assert dict(got) == old == {"민법 제1조": 0, "민법 제3조": 1, "상법 제2조": 2} and len(got) == 3
    assert list(got) == list(old)  # (in article order, as the dict was)
    for key in keys + ["없는 법 제1조"]:
        assert got.get(key) == old.get(key) and got.get(key, -1) == old.get(key, -1) and (key in got) == (key in old)
    assert got["상법 제2조"] == 2
    with pytest.raises(KeyError):
        got["민법 제2조"]  # a deleted article has no row
