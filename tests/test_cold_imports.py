"""What a cold search does not pay for: the decision parser's import, the citation parser's patterns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def test_the_search_path_neither_imports_the_decision_parser_nor_compiles_citation_patterns():
    out = _run(
        "import sys; import legalret.search.searcher, legalret.search.response, legalret.memory.facts;"
        "from legalret.precedents import citations;"
        "print(sorted(m for m in ('legalret.precedents.parse', 'legalret.precedents.items', 'html') if m in sys.modules));"
        "print(sorted(n for n, v in vars(citations).items() if isinstance(v, citations._Pattern) and '_compiled' in vars(v)))"
    )
    assert out.splitlines() == ["[]", "[]"]


def test_the_package_names_are_there_when_asked_for():
    out = _run(
        "import legalret.precedents as p; from legalret.precedents import read_precedents, parse_citations, Holding;"
        "print(read_precedents.__module__, parse_citations.__module__, Holding.__module__, sorted(p.__all__) == sorted(set(dir(p)) & set(p.__all__)));"
        "print([c.key for c in parse_citations('민법 제750조, 제751조')]);"
        "import legalret.precedents.citations as c; print(c._TOKEN.pattern == c._TOKEN._compiled.pattern == c._TOKEN._source[0])"
    )
    assert out.splitlines() == [
        "legalret.precedents.parse legalret.precedents.citations legalret.precedents.parse True",
        "['민법 제750조', '민법 제751조']",
        "True",
    ]
    proc = subprocess.run([sys.executable, "-c", "from legalret.precedents import nothing_here"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "cannot import name 'nothing_here'" in proc.stderr
