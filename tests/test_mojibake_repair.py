"""Mojibake repair: lossless (ftfy), lossy cp1252 (dropped bytes, NBSP → space, U+FFFD), latin-1, mixed
text, and text that must be left alone. Uses the bundled model (legalret/data/mojibake_lm.npz) and tiny
models trained here for the machinery."""

from __future__ import annotations

import time

import pytest

from legalret.errors import ModelError
from legalret.ingest.mojibake import (
    DEFAULT_MODEL_PATH,
    CharNgramModel,
    MojibakeRepairer,
    Repair,
    corrupt,
    looks_like_mojibake,
    repair_mojibake,
)


@pytest.fixture(scope="module")
def korean(fixtures_dir) -> list[str]:
    return (fixtures_dir / "mojibake" / "clean_ko.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def other(fixtures_dir) -> list[str]:
    return (fixtures_dir / "mojibake" / "clean_other.txt").read_text(encoding="utf-8").splitlines()


def check_offsets(broken: str, result) -> None:
    """Every repair names its span in the input; applying them rebuilds the output exactly."""
    out, pos = [], 0
    for r in result.repairs:
        assert isinstance(r, Repair)
        assert broken[r.start:r.end] == r.broken
        assert r.start >= pos
        out.append(broken[pos:r.start])
        out.append(r.fixed)
        pos = r.end
        assert 0.0 <= r.confidence <= 1.0
    out.append(broken[pos:])
    assert "".join(out) == result.text


def test_example_from_the_issue():
    broken = "상법 제651조".encode("utf-8").decode("cp1252", errors="ignore")
    assert broken == "ìƒë²• ì\xa0œ651ì¡°"  # 상 = EC 83 81: byte 0x81 is gone
    result = repair_mojibake(broken)
    assert result.text == "상법 제651조"
    assert [r.method for r in result.repairs] == ["lossy-lm"]
    check_offsets(broken, result)


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_lossless_is_fixed_by_ftfy(korean, encoding):
    for line in korean:
        broken = corrupt(line, encoding=encoding, drop=False)
        assert broken != line
        result = repair_mojibake(broken)
        assert result.text == line
        assert result.repairs and all(r.method == "ftfy" and r.confidence == 1.0 for r in result.repairs)
        check_offsets(broken, result)


def test_lossy_cp1252_dropped_bytes(korean):
    for line in korean:
        broken = corrupt(line)  # bytes 0x81 0x8D 0x8F 0x90 0x9D dropped
        assert len(broken.encode("cp1252")) < len(line.encode("utf-8"))  # really lossy
        result = repair_mojibake(broken)
        assert result.text == line, result.repairs
        assert any(r.method == "lossy-lm" for r in result.repairs)
        check_offsets(broken, result)


def test_lossy_cp1252_nbsp_became_space(korean):
    for line in korean:
        broken = corrupt(line, nbsp_to_space=True)
        assert "\xa0" not in broken
        result = repair_mojibake(broken)
        assert result.text == line, result.repairs
        check_offsets(broken, result)


def test_lossy_cp1252_replacement_characters(korean):
    for line in korean:
        broken = corrupt(line, replace=True)  # undefined bytes → U+FFFD (position known, value not)
        result = repair_mojibake(broken)
        assert result.text == line, result.repairs
        assert "\ufffd" not in result.text


def test_latin1_with_c1_controls_stripped(korean):
    """Far lossier (every byte 0x80–0x9F gone): must not crash, must report, should get most syllables."""
    total = correct = 0
    for line in korean:
        broken = corrupt(line, encoding="latin-1", drop=True)
        result = repair_mojibake(broken)
        assert result.repairs
        check_offsets(broken, result)
        if len(result.text) == len(line):
            correct += sum(a == b for a, b in zip(result.text, line))
        total += len(line)
    assert correct / total > 0.85


def test_mixed_text_only_the_broken_spans_change():
    clean_head = "민법 제194조와 "
    broken_part = corrupt("상법 제651조의2")
    tail = " (see p. 12) — café Müller.\n다음 줄은 깨끗하다."
    text = clean_head + broken_part + tail
    result = repair_mojibake(text)
    assert result.text == clean_head + "상법 제651조의2" + tail
    assert len(result.repairs) == 1
    r = result.repairs[0]
    assert (r.start, r.end) == (len(clean_head), len(clean_head) + len(broken_part) + 1)  # + trailing space
    check_offsets(text, result)


def test_partially_broken_lines_and_several_spans():
    lines = ["제1조(목적) 이 법은 보험계약에 관하여 정한다.", "제2조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다."]
    text = lines[0] + "\n" + corrupt(lines[1]) + "\n" + lines[0] + " " + corrupt("보험자는 해지할 수 있다.")
    result = repair_mojibake(text)
    assert result.text == lines[0] + "\n" + lines[1] + "\n" + lines[0] + " 보험자는 해지할 수 있다."
    assert len(result.repairs) == 2
    check_offsets(text, result)


def test_clean_text_is_untouched(korean, other):
    for line in korean + other:
        assert not looks_like_mojibake(line), line
        result = repair_mojibake(line)
        assert result.text == line
        assert result.repairs == []


def test_clean_text_never_loads_the_model(tmp_path, other):
    repairer = MojibakeRepairer(tmp_path / "missing.npz")  # would raise ModelError if loaded
    for line in other:
        assert repairer.repair(line).text == line


def test_clean_text_is_a_fast_no_op(korean):
    text = "\n".join(korean) * 200  # ~70k characters
    repair_mojibake(text)
    t0 = time.perf_counter()
    assert repair_mojibake(text).repairs == []
    assert time.perf_counter() - t0 < 0.5  # one regex scan (generous bound for a loaded CI machine)


def test_rare_hanja_with_all_bytes_present_is_decoded():
    text = "섬유증식성(纖維增殖性) 질환"  # 纖 is too rare for the model's vocabulary, but fully present
    result = repair_mojibake(corrupt(text))
    assert result.text == text
    # the hanja, all bytes present, are exact; only 증 (EC A6 9D, its 0x9D lost; 즐 fits too) is a guess
    guessed = [r.fixed[o] for r in result.repairs for o in r.guessed]
    assert guessed == ["증"] and all(r.status in ("repaired", "guessed") for r in result.repairs)


def test_non_korean_mojibake_is_fixed_losslessly():
    result = repair_mojibake("The cafÃ© is open.")
    assert result.text == "The café is open."
    assert result.repairs[0].method == "ftfy"


def test_unrepairable_span_is_reported_not_dropped():
    broken = "ìƒë²• ¡¡¡ ì¡°¡¡¡"  # stray continuation bytes nothing can explain
    result = repair_mojibake(broken)
    (r,) = result.repairs
    assert r.fixed == "상법 ¡¡¡ 조¡¡¡"  # what decodes is repaired, garbage kept, not silently deleted
    assert r.confidence == 0.0 and r.status == "low-confidence"
    # every kept byte is listed with probability 0 (decoded characters may be listed too, when < 0.99)
    assert [(c, p) for _, c, p, _ in r.uncertain if p == 0.0] == [("¡", 0.0)] * 6
    check_offsets(broken, result)
    # nothing decodable at all: reported as unrepaired, text unchanged
    garbage = "ì¡¡¡ í¡¡¡"
    result = repair_mojibake(garbage)
    assert result.text.count("¡") >= 4
    assert result.repairs and all(r.confidence == 0.0 for r in result.repairs)


def test_looks_like_mojibake():
    assert looks_like_mojibake(corrupt("상법 제651조"))
    assert looks_like_mojibake(corrupt("보험", encoding="latin-1", drop=False))
    assert looks_like_mojibake("cafÃ©")
    for clean in ("상법 제651조", "café", "Müller", "«café»", "naïve", "", "abc"):
        assert not looks_like_mojibake(clean)


# --- the machinery, with tiny models trained here ---------------------------------------------------


def tiny_model(lines, order=4) -> CharNgramModel:
    return CharNgramModel.train(lines * 5, order=order, min_char_count=1)


def test_ambiguity_is_reported_as_low_confidence():
    # 상 (EC 83 81) and 생 (EC 83 9D) both lose their last byte: "ìƒ" is either. The model has seen
    # 상사 and 생사 equally often, so it cannot know, and must say so.
    lm = tiny_model(["상사 회사", "생사 회사"], order=3)
    broken = corrupt("상사 회사")
    assert corrupt("생사 회사") == broken
    result = MojibakeRepairer(lm).repair(broken)
    (r,) = result.repairs
    assert r.status == "low-confidence" and 0.3 < r.confidence < 0.7
    assert r.uncertain and r.uncertain[0][0] == 0 and {r.uncertain[0][1], *r.uncertain[0][3]} >= {"상", "생"}
    kept = MojibakeRepairer(lm, keep_low_confidence=False).repair(broken)
    assert kept.text == broken and kept.repairs[0].method == "unrepaired"


def test_context_decides(korean):
    lm = tiny_model(["상사 회사", "상사 회사", "상사 회사", "생사 확인"], order=4)
    repairer = MojibakeRepairer(lm)
    assert repairer.repair(corrupt("생사 확인")).text == "생사 확인"
    assert repairer.repair(corrupt("상사 회사")).text == "상사 회사"


def test_model_roundtrip_and_scoring(tmp_path, korean):
    lm = tiny_model(korean, order=5)
    path = lm.save(tmp_path / "lm.npz", meta={"note": "test"})
    again = CharNgramModel.load(path)
    assert again.vocab == lm.vocab and again.order == 5
    assert CharNgramModel.read_meta(path) == {"note": "test"}
    for text in ("보험계약자", "상법 제651조", "zzz"):
        assert again.score(text) == pytest.approx(lm.score(text))
    assert lm.score("보험계약자") > lm.score("보헙계약자")
    # Witten-Bell probabilities sum to one over the vocabulary (+ BOS/EOS/UNK)
    ctx = (1,) + tuple(lm.char_id(c) for c in "보험")
    total = sum(pow(2.718281828459045, lm.logprob(ctx, w)) for w in range(lm.size) if w != 0)
    assert 0.98 < total <= 1.0 + 1e-9


def test_model_errors(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        CharNgramModel.load(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a valid"):
        CharNgramModel.load(bad)
    with pytest.raises(ValueError, match="must not decrease"):
        CharNgramModel.train(["보험"], order=2, min_counts=[2, 1])
    with pytest.raises(ValueError, match="no training text"):
        CharNgramModel.train([""], order=2)


def test_corrupt_rejects_unknown_encoding():
    with pytest.raises(ValueError, match="unsupported encoding"):
        corrupt("보험", encoding="utf-16")


def test_bundled_model_is_small():
    assert DEFAULT_MODEL_PATH.is_file(), "build it: python scripts/mojibake_build_model.py"
    assert DEFAULT_MODEL_PATH.stat().st_size <= 10_500_000  # ships in the package (statutes + precedents)


# --- real data (shared legalize-kr mirror) -----------------------------------------------------------


@pytest.mark.slow
def test_held_out_split_and_real_sentences(shared_data):
    """The benchmark's held-out laws are disjoint from the training laws, and a few of their lines
    round-trip through lossy corruption (the numbers themselves live in benchmarks/mojibake_repair.py)."""
    from itertools import islice

    from legalret.ingest.mojibake import is_held_out, statute_lines

    archive = shared_data / "statutes" / "legalize-kr.zip"
    test_lines = list(islice(statute_lines(archive, split="test"), 0, 4000, 200))
    assert test_lines and all(is_held_out(law) for law, _ in test_lines)
    train_law, _ = next(statute_lines(archive, split="train"))
    assert not is_held_out(train_law)
    exact = 0
    for _, line in test_lines:
        broken = corrupt(line, nbsp_to_space=True)
        result = repair_mojibake(broken)
        check_offsets(broken, result)
        exact += result.text == line
    assert exact >= 0.8 * len(test_lines)
