"""The lazy article store: columns without parsing, byte-for-byte carry-over, clear errors."""

import dataclasses
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.errors import IndexError_, SourceError  # noqa: E402
from legalret.index import add_to_index, build_index, load_index  # noqa: E402
from legalret.index.article_store import ArticleStore, StoredArticle, write_store  # noqa: E402


def test_store_reads_columns_without_parsing_and_parses_on_access(tmp_path):
    arts = sup.articles()
    write_store(tmp_path, arts)
    store = ArticleStore.open(tmp_path)
    assert len(store) == len(arts)
    assert store.keys == [a.key for a in arts]
    assert store.laws == [a.law for a in arts] and store.kinds == [a.kind for a in arts]
    assert store.deleted.tolist() == [a.deleted for a in arts]
    assert store._parsed == {}  # nothing parsed yet
    assert store[3] == arts[3] and list(store._parsed) == [3]
    assert store[-1] == arts[-1]
    assert list(store) == arts


def test_titles_are_read_without_parsing_the_articles(tmp_path):
    import dataclasses

    arts = sup.articles()
    arts[1] = dataclasses.replace(arts[1], title='인용 "따옴표"와 \\ 역슬래시')  # JSON escapes in the title
    write_store(tmp_path, arts)
    store = ArticleStore.open(tmp_path)
    assert [store.title(i) for i in range(len(store))] == [a.title for a in arts]
    assert store._parsed == {}  # the titles came from the lines' heads


def test_references_are_copied_byte_for_byte(tmp_path):
    arts = sup.articles()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_store(tmp_path / "a", arts)
    old = ArticleStore.open(tmp_path / "a")
    new_article = sup.amended(arts[0], "새로운 본문.")
    write_store(tmp_path / "b", [new_article] + old.refs()[1:])
    assert old._parsed == {}  # carried articles were never parsed
    new = ArticleStore.open(tmp_path / "b")
    assert new[0] == new_article and new.keys == old.keys
    assert all(new.line(i) == old.line(i) for i in range(1, len(old)))
    ref = old.ref(2)
    assert isinstance(ref, StoredArticle) and (ref.key, ref.law, ref.deleted) == (arts[2].key, arts[2].law, arts[2].deleted)


def _columns(store: ArticleStore) -> tuple:
    return (store.keys, store.laws, store.kinds, store.law_ids, store.effective_dates, store.deleted.tolist(),
            store._starts.tolist())


def test_catalog_arrays_give_the_json_catalogs_columns(tmp_path):
    """catalog.npz (written since it was added) opens to the same columns and line offsets as catalog.json and
    the line scan that older generations are read with — None, empty and deleted values included."""
    arts = sup.articles()
    arts[1] = dataclasses.replace(arts[1], effective_date=None, law_id="")
    arts[2] = dataclasses.replace(arts[2], deleted=True, kind="")
    write_store(tmp_path, arts)
    assert (tmp_path / "catalog.npz").is_file()
    new = ArticleStore.open(tmp_path)
    (tmp_path / "catalog.npz").rename(tmp_path / "away.npz")
    old = ArticleStore.open(tmp_path)
    assert _columns(new) == _columns(old)
    assert None in new.effective_dates and "" in new.law_ids and new.deleted[2] and new.keys == [a.key for a in arts]
    assert [new[i] for i in range(len(arts))] == arts


def test_catalog_arrays_of_other_articles_are_an_error(tmp_path):
    arts = sup.articles()
    write_store(tmp_path, arts)
    (tmp_path / "other").mkdir()
    write_store(tmp_path / "other", arts[:-1])
    (tmp_path / "other" / "catalog.npz").replace(tmp_path / "catalog.npz")
    with pytest.raises(SourceError, match=r"catalog\.npz: .*articles\.jsonl has"):
        ArticleStore.open(tmp_path)
    (tmp_path / "catalog.npz").write_bytes(b"not a zip")
    with pytest.raises(SourceError, match=r"catalog\.npz: not an article catalog"):
        ArticleStore.open(tmp_path)


def test_catalog_that_does_not_match_the_articles_is_an_error(tmp_path):
    write_store(tmp_path, sup.articles())
    (tmp_path / "catalog.npz").unlink()  # a generation written before catalog.npz
    catalog = json.loads((tmp_path / "catalog.json").read_text(encoding="utf-8"))
    catalog["keys"] = catalog["keys"][:-1]
    (tmp_path / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    with pytest.raises(SourceError, match="catalog.json.*keys"):
        ArticleStore.open(tmp_path)


@pytest.mark.parametrize("arrays", [True, False])
def test_a_line_that_is_not_its_catalog_key_is_named(tmp_path, arrays):
    arts = sup.articles()
    write_store(tmp_path, arts)
    if not arrays:  # a generation written before catalog.npz: lines found by scanning
        (tmp_path / "catalog.npz").unlink()
    lines = (tmp_path / "articles.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0], lines[1] = lines[1], lines[0]
    (tmp_path / "articles.jsonl").write_text("".join(lines), encoding="utf-8")
    store = ArticleStore.open(tmp_path)
    # (catalog.npz's offsets cut the swapped lines elsewhere: not a record, or not the catalog's key)
    with pytest.raises(SourceError, match=r"articles\.jsonl:1: .*(catalog says|not an article record)"):
        store[0]


def test_update_parses_only_the_laws_in_the_batch(tmp_path, monkeypatch):
    index = tmp_path / "idx"
    enc = sup.tiny_encoder()
    arts = sup.articles()
    build_index(arts, index, encoder=enc)
    parsed_laws = []
    real = ArticleStore.__getitem__

    def spy(self, pos):
        parsed_laws.append(self.laws[pos])
        return real(self, pos)

    monkeypatch.setattr(ArticleStore, "__getitem__", spy)
    civil = [a for a in arts if a.law == "민법"]
    amended = [sup.amended(a, "고의 또는 과실로 타인에게 손해를 가한 자는 배상할 책임이 있다.") if a.number == 750 else a for a in civil]
    report = add_to_index(amended, index, encoder=enc)
    assert report.changed == 1
    assert parsed_laws and set(parsed_laws) == {"민법"}
    monkeypatch.undo()
    data = load_index(index, verify="full")
    assert [a.key for a in data.articles] == [a.key for a in arts]
    assert data.articles[data.by_key["민법 제750조"]].paragraphs[0].text.startswith("고의 또는 과실로 타인에게")
    other = next(a for a in arts if a.law != "민법")
    assert data.articles[data.by_key[other.key]] == other


def test_generation_without_catalog_is_still_readable(tmp_path):
    """Indexes written before the catalog existed are read whole (and updated into the new layout)."""
    from legalret.index.store import current_generation

    index = tmp_path / "idx"
    enc = sup.tiny_encoder()
    arts = sup.articles()
    build_index(arts, index, encoder=enc)
    gen = current_generation(index)
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    for name in ("catalog.json", "catalog.npz"):
        (gen / name).unlink()
        manifest["files"].pop(name)
    manifest.pop("checksum")  # (written before the catalog: before the manifest was checksummed too)
    (gen / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    data = load_index(index)
    assert isinstance(data.articles, list) and data.keys == [a.key for a in arts]
    add_to_index([sup.amended(arts[0], "바뀐 본문.")], index, encoder=enc, remove_missing=False)
    assert (current_generation(index) / "catalog.json").is_file()
    with pytest.raises(IndexError_):
        (current_generation(index) / "catalog.json").write_text("{}", encoding="utf-8")
        load_index(index, verify="size")


def test_a_new_generation_opens_without_parsing_catalog_or_vocabularies(tmp_path, monkeypatch):
    """What a cold search does not need is not read when a generation written now is opened: catalog.json (the
    columns come from catalog.npz), the token store's vocabulary and the BM25 vocabulary (a sorted one, bisected
    per query token) — and a BM25 query still finds what the built index finds."""
    from legalret.index.sorted_vocab import SortedVocab

    index = tmp_path / "idx"
    arts = sup.articles()
    build_index(arts, index, encoder=sup.tiny_encoder())
    expected = load_index(index)
    query = ["점유", "손해", "배상"]
    found = expected.bm25.top(query, 5)

    parsed, real_loads = [], json.loads

    def spy(text, *args, **kwargs):
        parsed.append(text)
        return real_loads(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", spy)
    data = load_index(index)
    assert isinstance(data.articles, ArticleStore) and data.keys == [a.key for a in arts]
    gen = data.path
    for name in ("catalog.json", "tokens/vocab.json", "bm25/vocab.index.json"):
        assert (gen / name).read_text(encoding="utf-8") not in parsed, name
    assert data.tokens._vocab is None and isinstance(data.bm25.vocab, SortedVocab)
    rows, scores = data.bm25.top(query, 5)
    assert rows.tolist() == found[0].tolist() and scores.tolist() == found[1].tolist()
    assert data.tokens._vocab is None and data.bm25.vocab._dict is None  # (still: a query parsed neither)
