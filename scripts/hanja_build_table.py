"""Build ``legalret/data/hanja_readings.tsv``: each Hanja character's Korean readings, from Unicode's Unihan database.

Older judgments, books and many lawyers' notes write legal words in Hanja (``民法 第750條``, ``不動産의 二重賣買``);
the statutes and holdings legalret searches are in Hangul. :mod:`legalret.hanja` reads a query's Hanja in Hangul
with this table. The source is the ``kHangul`` field of ``Unihan_Readings.txt`` (Unicode Character Database,
Unicode License v3: free to copy with its notice, which the table's header carries), e.g.
``U+66F4 kHangul 갱:0E 경:0N`` — each reading with its sources: ``0`` KS X 1001, ``E`` the reading taught in
schools, ``N`` others. The table keeps, per character, the readings marked ``0`` or ``E`` (all of them where none
is), the ``E`` one first: the one a character is read as when nothing else decides (:func:`legalret.hanja.read_hanja`
lets the index's vocabulary choose: 變更 → 변경, not 변갱).

Where to get the file: the Debian package ``unicode-data`` (``apt-get download unicode-data`` and
``dpkg-deb -x``: ``usr/share/unicode/Unihan_Readings.txt.bz2``) or ``Unihan.zip`` from unicode.org.

Usage::

    python scripts/hanja_build_table.py --unihan /usr/share/unicode/Unihan_Readings.txt.bz2
"""

from __future__ import annotations

import argparse
import bz2
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "legalret" / "data" / "hanja_readings.tsv"


def read_unihan(path: Path) -> list[str]:
    """The lines of Unihan_Readings.txt from the file itself, its .bz2, or Unihan.zip."""
    if path.suffix == ".bz2":
        return bz2.open(path, "rt", encoding="utf-8").read().splitlines()
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            return z.read("Unihan_Readings.txt").decode("utf-8").splitlines()
    return path.read_text(encoding="utf-8").splitlines()


def readings(field: str) -> list[str]:
    """``'갱:0E 경:0N'`` → ``['갱', '경']``: the KS X 1001 / school readings, the school one first."""
    parsed = [part.partition(":")[::2] for part in field.split()]  # (reading, sources)
    kept = [(r, s) for r, s in parsed if "0" in s or "E" in s] or parsed
    kept.sort(key=lambda rs: "E" not in rs[1])  # stable: the school reading first, the rest as Unihan lists them
    return list(dict.fromkeys(r for r, _ in kept))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--unihan", type=Path, required=True, help="Unihan_Readings.txt, its .bz2, or Unihan.zip")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    about = {"Unicode version": "?", "Date": "?", "©": "© Unicode, Inc."}  # from the file's own header
    rows: list[str] = []
    for line in read_unihan(args.unihan):
        if line.startswith("#"):
            for label in about:
                if line[2:].startswith(label):
                    about[label] = line[2:].strip() if label == "©" else line[2:].split(":", 1)[1].strip()
            continue
        if "\tkHangul\t" not in line:
            continue
        code, _, field = line.split("\t")
        char = chr(int(code[2:], 16))
        rows.append(f"{char}\t{' '.join(readings(field))}")
    if not rows:
        print(f"error: {args.unihan}: no kHangul lines (is it Unihan_Readings.txt?)", file=sys.stderr)
        return 1
    header = [
        "# Korean readings of Hanja (char<TAB>readings, the school reading first), made by scripts/hanja_build_table.py",
        f"# from the kHangul field of the Unicode Character Database's Unihan_Readings.txt (Unicode {about['Unicode version']}, "
        f"{about['Date']}).",
        f"# {about['©']} Unicode Character Database, under the Unicode License v3: https://www.unicode.org/license.txt",
    ]
    args.out.write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    print(f"{len(rows):,} characters → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
