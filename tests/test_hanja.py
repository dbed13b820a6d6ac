"""Hanja read in Hangul (``legalret.hanja``): the table, the spelling rules, the index's words choosing among readings,
and a search in Hanja answering as the same search in Hangul."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from legalret.hanja import PARTY_HANJA, TABLE, has_hanja, read_hanja, readings, word_initial

ROOT = Path(__file__).resolve().parent.parent


def reading(text: str, **weights: int) -> str:
    return read_hanja(text, weights.get if weights else None)[0]


def test_the_table_holds_the_unihan_readings_school_reading_first():
    assert TABLE.stat().st_size > 50_000
    assert readings("法") == ("법",)
    assert readings("更") == ("갱", "경") and readings("不") == ("불", "부") and readings("狀") == ("상", "장")
    assert readings("가") == () and readings("a") == ()


def test_the_length_is_kept_and_party_letters_and_hangul_stay():
    text = "甲은 乙에게 民法 第750條 第1項에 따라 損害賠償을 請求한다"
    read, pairs = read_hanja(text)
    assert read == "甲은 乙에게 민법 제750조 제1항에 따라 손해배상을 청구한다"
    assert len(read) == len(text)
    assert [h for h, _ in pairs] == ["民法", "第", "條", "第", "項", "損害賠償", "請求"]
    assert not has_hanja("甲은 乙에게 丙과") and has_hanja("甲의 占有")
    plain = "민법 제750조 손해배상"
    assert read_hanja(plain) == (plain, [])


def test_a_gloss_after_the_word_it_spells_is_left_as_it_is():
    """Holdings write 전세(傳貰): reading the gloss would make the word count twice, so the text stays as it was
    (and the search gets no notice); a bracketed word that is not the one before it is read."""
    assert read_hanja("전세(傳貰)의 효력") == ("전세(傳貰)의 효력", [])
    assert read_hanja("대상재산 (代償財産)") == ("대상재산 (代償財産)", [])
    assert read_hanja("채권(債務)") == ("채권(채무)", [("債務", "채무")])
    from legalret.search.prepare import hangul_query

    assert hangul_query("전세(傳貰)의 효력") == ("전세(傳貰)의 효력", [])
    text, (notice,) = hangul_query("民法 第750條")
    assert text == "민법 제750조" and notice == "Hanja read in Hangul: 民法 → 민법, 第 → 제, 條 → 조"


def test_spelling_rules_without_an_index():
    """The school reading, 두음법칙 at a word's start, 렬/률 after a vowel or ㄴ, 不 before ㄷ/ㅈ."""
    assert reading("勞動組合") == "노동조합" and reading("來日") == "내일" and reading("女子") == "여자"
    assert reading("利益") == "이익" and reading("比率") == "비율" and reading("法律") == "법률"
    assert reading("不動産登記法") == "부동산등기법" and reading("不正") == "부정" and reading("不法行爲") == "불법행위"
    assert reading("勤勞基準法") == "근로기준법" and reading("住宅賃貸借保護法") == "주택임대차보호법"
    assert word_initial("로") == "노" and word_initial("리") == "이" and word_initial("녀") == "여"
    assert word_initial("냐") == "냐" and word_initial("가") == "가"


def test_the_index_words_choose_among_readings():
    """Where a character has two readings the word the index knows wins; the longest known words cover first."""
    assert reading("變更") == "변갱"  # the school reading of 更 alone …
    assert reading("變更", 변경=119) == "변경" and reading("更新", 갱신=40, 경신=1) == "갱신"
    assert reading("令狀", 영장=12) == "영장"
    assert reading("不當勞動行爲", 부당=22, 노동=30, 행위=500) == "부당노동행위"  # 勞 starts the word 노동 inside the run
    assert reading("規律", 규율=8) == "규율"
    # a character no known word covers keeps its default reading
    assert reading("不動産 謄本", 부동산=26) == "부동산 등본"


def test_the_build_script_reads_unihan(tmp_path):
    unihan = tmp_path / "Unihan_Readings.txt"
    unihan.write_text(
        "# Unihan_Readings.txt\n# Date: 2022-08-01\n# Unicode version: 15.0.0\n# © 2022 Unicode®, Inc.\n"
        "U+66F4\tkDefinition\trenew\nU+66F4\tkHangul\t경:0N 갱:0E\nU+349A\tkHangul\t온:N 은:N\n"
        "U+6CD5\tkHangul\t법:0E\n", encoding="utf-8")
    out = tmp_path / "table.tsv"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "hanja_build_table.py"), "--unihan", str(unihan),
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in out.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert rows == ["更\t갱 경", "㒚\t온 은", "法\t법"]  # the school reading first; a character with only N readings keeps them
    assert "Unicode 15.0.0" in out.read_text(encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "hanja_build_table.py"), "--unihan", str(empty),
                           "--out", str(tmp_path / "x.tsv")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "no kHangul lines" in proc.stderr


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "index"))
    import index_support as sup

    from legalret.index import build_index
    from legalret.search.searcher import Searcher

    path = tmp_path_factory.mktemp("hanja") / "idx"
    build_index(sup.articles(), path, model="none")
    return Searcher(path)


def test_a_citation_in_hanja_is_the_article(searcher):
    res = searcher.search("民法 第750條", k=3)
    assert res.keys[0] == "민법 제750조"
    assert any(n.startswith("Hanja read in Hangul: 民法 → 민법") for n in res.notices), res.notices
    assert searcher.search("商法 第651條의2 質問", k=3).keys[0] == "상법 제651조의2"
    # the simplified / Japanese 条 (Unihan gives it no Korean reading): it had been left as it was, and the search
    # missed the article ("条 → 条")
    for written in ("民法 第750条", "民法 第七百五十条", "民法 第750條"):
        assert searcher.search(written, k=3).keys[0] == "민법 제750조", written
    from legalret.hanja import read_hanja

    assert read_hanja("労働契約の売買")[0].startswith("노동계약")


def test_a_question_in_hanja_finds_what_it_finds_in_hangul(searcher):
    hanja, hangul = "留置權者의 占有와 間接占有", "유치권자의 점유와 간접점유"
    assert searcher.search(hanja, k=5).keys == searcher.search(hangul, k=5).keys
    # the courts' party letters are not read: the same words, the same notice-free search
    res = searcher.search("甲이 乙 소유의 물건을 점유", k=3)
    assert not any(n.startswith("Hanja") for n in res.notices)
