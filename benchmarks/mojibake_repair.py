"""Benchmark: repair of lossy Korean mojibake on statute sentences the model never saw.

Held-out laws: every legalize-kr law whose folder name satisfies ``sha1(name)[0] % 10 == 0``
(``legalret.ingest.mojibake.is_held_out``). ``scripts/mojibake_build_model.py`` trains the character
n-gram model on the *other* laws only, so every sentence here is unseen text.

Each sampled sentence (deterministic: ``random.Random(seed)``) is corrupted on its own, without any
surrounding context, in each condition:

* ``cp1252-drop``        UTF-8 → cp1252, undefined bytes 0x81 0x8D 0x8F 0x90 0x9D dropped (the target);
* ``cp1252-drop-nbsp``   the same, then NBSP (0xA0) → plain space (the target);
* ``latin1-strip``       UTF-8 → latin-1, C1 controls (every byte 0x80–0x9F) stripped (``--hard``; far lossier);
* ``cp1252-lossless``    C1 kept (ftfy's case; sanity check).

Metrics per condition: Hangul-character accuracy (aligned, over the original's Hangul characters),
accuracy on the syllables that actually lost a byte, exact-sentence recovery, mean/min confidence and how
well confidence flags errors, repair speed (characters of broken input per second), and the speed of the
no-op on clean text. Targets (issue #2): Hangul accuracy ≥ 99.5%, exact sentences ≥ 95% on the lossy
conditions.

Usage::

    .venv/bin/python benchmarks/mojibake_repair.py                 # 2,000 sentences → benchmarks/results/
    .venv/bin/python benchmarks/mojibake_repair.py --sentences 300 --hard --model PATH
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import platform
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from legalret.config import shared_data_dir
from legalret.ingest.mojibake import (
    DEFAULT_MODEL_PATH, CharNgramModel, MojibakeRepairer, corrupt, repair_mojibake, statute_lines,
)
from legalret.progress import console, track

CONDITIONS = {
    "cp1252-drop": dict(encoding="cp1252", drop=True),
    "cp1252-drop-nbsp": dict(encoding="cp1252", drop=True, nbsp_to_space=True),
    "cp1252-lossless": dict(encoding="cp1252", drop=False),
    "latin1-strip": dict(encoding="latin-1", drop=True),
}
TARGETS = {"hangul_accuracy": 0.995, "exact_sentence": 0.95}
_SENT_END = re.compile(r"(?<=[.다])\s+(?=\S)")


def is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def sample_sentences(zip_path: Path, n: int, seed: int) -> tuple[list[str], int]:
    sentences, laws = [], set()
    for law, line in statute_lines(zip_path, split="test"):
        laws.add(law)
        for s in _SENT_END.split(line):
            if sum(map(is_hangul, s)) >= 5:
                sentences.append(s)
    rng = random.Random(seed)
    return rng.sample(sentences, min(n, len(sentences))), len(laws)


def lossy_syllables(sentence: str) -> set[int]:
    """Indices of characters whose UTF-8 bytes include one cp1252 cannot represent."""
    bad = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
    return {i for i, c in enumerate(sentence) if any(b in bad for b in c.encode("utf-8"))}


def hangul_matches(original: str, repaired: str) -> tuple[int, int, list[int]]:
    """(correct Hangul chars, total Hangul chars in original, indices of wrong ones), aligned by difflib."""
    total = sum(map(is_hangul, original))
    if len(original) == len(repaired):
        wrong = [i for i, (a, b) in enumerate(zip(original, repaired)) if is_hangul(a) and a != b]
        return total - len(wrong), total, wrong
    ok = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, original, repaired, autojunk=False).get_opcodes():
        if tag == "equal":
            ok.update(range(i1, i2))
    wrong = [i for i, c in enumerate(original) if is_hangul(c) and i not in ok]
    return total - len(wrong), total, wrong


def run_condition(repairer: MojibakeRepairer, sentences: list[str], name: str, kwargs: dict) -> dict:
    correct = total = exact = 0
    lossy_total = lossy_correct = 0
    chars = 0
    seconds = 0.0
    confident_wrong = flagged = flagged_wrong = 0
    examples = []
    for s in track(sentences, f"{name}"):
        broken = corrupt(s, **kwargs)
        t0 = time.perf_counter()
        result = repairer.repair(broken)
        seconds += time.perf_counter() - t0
        chars += len(broken)
        c, t, wrong = hangul_matches(s, result.text)
        correct, total = correct + c, total + t
        lossy = lossy_syllables(s)
        lossy_total += len(lossy)
        lossy_correct += len(lossy - set(wrong))
        ok = result.text == s
        exact += ok
        low = any(r.status != "repaired" for r in result.repairs)
        flagged += low
        flagged_wrong += low and not ok
        confident_wrong += (not low) and not ok
        if not ok and len(examples) < 8:
            examples.append({"original": s, "broken": broken, "repaired": result.text,
                             "repairs": [r.to_dict() for r in result.repairs]})
    n = len(sentences)
    return {
        "condition": name, "corruption": kwargs, "sentences": n,
        "hangul_chars": total, "hangul_accuracy": correct / max(total, 1),
        "lossy_syllables": lossy_total, "lossy_syllable_accuracy": lossy_correct / max(lossy_total, 1),
        "exact_sentence": exact / max(n, 1),
        "wrong_sentences": n - exact,
        "wrong_but_flagged_low_confidence": flagged_wrong,
        "wrong_and_confident": confident_wrong,
        "right_but_flagged": flagged - flagged_wrong,
        "chars_per_s": chars / seconds if seconds else None,
        "seconds": seconds,
        "examples_of_errors": examples,
    }


def clean_speed(sentences: list[str]) -> float:
    text = "\n".join(sentences)
    t0 = time.perf_counter()
    reps = 20
    for _ in range(reps):
        assert repair_mojibake(text).text == text
    return reps * len(text) / (time.perf_counter() - t0)


def write_atomic(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(content)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def markdown(report: dict) -> str:
    lines = [
        "# Mojibake repair benchmark",
        "",
        f"Held-out laws: {report['held_out_rule']} → {report['held_out_laws']} laws; "
        f"{report['sentences']} sentences sampled (seed {report['seed']}), each corrupted alone (no context).",
        f"Model: `{report['model']}` (order {report['model_meta'].get('order')}, trained on "
        f"{report['model_meta'].get('laws')} other laws, {report['model_meta'].get('chars', 0):,} chars).",
        f"Command: `{report['command']}`",
        "",
        "| condition | Hangul acc. | lossy-syllable acc. | exact sentences | wrong (flagged / confident) | chars/s |",
        "|---|---|---|---|---|---|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['condition']} | {r['hangul_accuracy']:.4%} | {r['lossy_syllable_accuracy']:.4%} | "
            f"{r['exact_sentence']:.2%} | {r['wrong_sentences']} ({r['wrong_but_flagged_low_confidence']} / "
            f"{r['wrong_and_confident']}) | {r['chars_per_s']:,.0f} |"
        )
    m = report["machine"]
    lines += ["", f"Clean text (no-op) speed: {report['clean_chars_per_s']:,.0f} chars/s. Speeds are single-threaded "
              f"Python on {m['cores']} cores (load average {m['load_average_1m_at_end']:.1f} at the end: "
              "the machine was shared, so treat them as lower bounds).",
              f"Targets: Hangul accuracy ≥ {TARGETS['hangul_accuracy']:.1%}, exact sentences ≥ "
              f"{TARGETS['exact_sentence']:.0%} on cp1252-drop and cp1252-drop-nbsp: "
              f"{'MET' if report['targets_met'] else 'NOT MET'}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Mojibake repair benchmark on held-out statutes")
    data = shared_data_dir()
    ap.add_argument("--zip", type=Path, default=data / "statutes" / "legalize-kr.zip" if data else None)
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH)
    ap.add_argument("--sentences", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--hard", action="store_true", help="also run latin1-strip (slow, far lossier)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args(argv)
    if args.zip is None or not args.zip.is_file():
        console.print(f"error: legalize-kr zip not found: {args.zip}")
        return 1
    sentences, n_laws = sample_sentences(args.zip, args.sentences, args.seed)
    console.print(f"{len(sentences)} held-out sentences from {n_laws} laws")
    t0 = time.perf_counter()
    model = CharNgramModel.load(args.model)
    load_s = time.perf_counter() - t0
    repairer = MojibakeRepairer(model)
    names = ["cp1252-drop", "cp1252-drop-nbsp", "cp1252-lossless"] + (["latin1-strip"] if args.hard else [])
    results = []
    for name in names:
        r = run_condition(repairer, sentences, name, CONDITIONS[name])
        results.append(r)
        console.print(f"{name}: Hangul {r['hangul_accuracy']:.4%}, lossy syllables "
                      f"{r['lossy_syllable_accuracy']:.4%}, exact {r['exact_sentence']:.2%}, "
                      f"{r['chars_per_s']:,.0f} chars/s")
    targets_met = all(
        r["hangul_accuracy"] >= TARGETS["hangul_accuracy"] and r["exact_sentence"] >= TARGETS["exact_sentence"]
        for r in results if r["condition"] in ("cp1252-drop", "cp1252-drop-nbsp")
    )
    report = {
        "benchmark": "mojibake_repair",
        "command": ("python benchmarks/mojibake_repair.py " + " ".join(argv if argv is not None else sys.argv[1:])).strip(),
        "held_out_rule": "sha1(law folder name)[0] % 10 == 0",
        "held_out_laws": n_laws, "sentences": len(sentences), "seed": args.seed,
        "model": str(args.model.name), "model_meta": CharNgramModel.read_meta(args.model),
        "model_load_s": load_s, "model_bytes": args.model.stat().st_size,
        "targets": TARGETS, "targets_met": targets_met,
        "clean_chars_per_s": clean_speed(sentences),
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                    "cores": os.cpu_count(), "load_average_1m_at_end": os.getloadavg()[0]},
        "results": results,
    }
    write_atomic(args.out / "mojibake.json", json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    write_atomic(args.out / "mojibake.md", markdown(report))
    console.print(markdown(report))
    return 0 if targets_met else 2


if __name__ == "__main__":
    sys.exit(main())
