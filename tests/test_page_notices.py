"""Every notice the server can put in ``/api/search``'s ``notices`` has a Korean reading on the web page.

The page translates notices with ``NOTICE_KO`` in ``legalret/serve/static/app.js`` (regex → Korean); a notice no
pattern matches is shown in English. These tests take the patterns out of app.js and run them (as Python regular
expressions: the page's patterns use only syntax both read alike) against

* every notice template in the Python code — each string passed to ``notes.append`` in ``legalret/search/``, and
  each string returned by the functions that make notices (``coverage_notes``, ``repaired_query``,
  ``query_cut_note``), found with ``ast`` and filled in with sample values, so a new or reworded notice without a
  Korean pattern fails here;
* real notices, made by calling those functions (the two coverage notices, a cut query, a repaired one, …);

and, where ``node`` is installed, run app.js's own ``noticeKo`` on the real notices to check the Korean it shows.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_JS = ROOT / "legalret" / "serve" / "static" / "app.js"
#: Where notices are made: the search package, and the one query-cut notice every interface shares.
SOURCES = sorted((ROOT / "legalret" / "search").glob("*.py")) + [ROOT / "legalret" / "config.py"]
#: Functions whose returned strings are notices (besides every ``notes.append(...)``).
NOTICE_FUNCTIONS = {"coverage_notes", "repaired_query", "query_cut_note", "hangul_query", "full_law_names",
                    "reversed_range_notice", "range_size_notice", "filtered_notes", "reversed_item_range_notice",
                    "missing_article_notice", "short_names_notice", "renamed_names_notice", "crime_notes",
                    "_mistyped_law_notice", "law_names_only_notice"}


# --- NOTICE_KO out of app.js -------------------------------------------------------------------------------------


def _regex_literal(src: str, i: int) -> tuple[str, str, int]:
    """The JS regex literal starting at ``src[i] == "/"``: (pattern, flags, index after it)."""
    assert src[i] == "/"
    j, in_class = i + 1, False
    while True:
        c = src[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            break
        elif c == "\n":
            raise AssertionError(f"unterminated regex literal in app.js at {i}")
        j += 1
    m = re.compile(r"[a-z]*").match(src, j + 1)
    return src[i + 1 : j], m.group(), m.end()


def notice_patterns() -> list[re.Pattern]:
    """NOTICE_KO's patterns, in order, as Python regular expressions."""
    src = APP_JS.read_text(encoding="utf-8")
    start = src.index("const NOTICE_KO = [")
    end = src.index("\n];", start)
    block = src[start:end]
    out = []
    for m in re.finditer(r"^  \[(?=/)", block, re.M):  # each entry: "  [/pattern/flags, (m) => …]"
        pattern, flags, _ = _regex_literal(block, m.end())
        py_flags = (re.S if "s" in flags else 0) | (re.I if "i" in flags else 0)
        out.append(re.compile(pattern, py_flags))
    assert len(out) >= 10, f"NOTICE_KO's patterns not found in app.js ({len(out)})"
    return out


def korean_pattern(notice: str) -> re.Pattern | None:
    """The first NOTICE_KO pattern that matches ``notice`` (``text.match(re)`` in the page), or None."""
    return next((p for p in notice_patterns() if p.search(notice)), None)


# --- notice templates out of the Python code ----------------------------------------------------------------------


def _constants(tree: ast.Module) -> dict[str, ast.AST]:
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = node.value
    return out


def _sample(node: ast.AST, constants: dict[str, ast.AST]) -> str:
    """The string ``node`` builds, each value filled in with a sample (a number where one is formatted as one)."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(_sample(v, constants) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        spec = "".join(v.value for v in node.format_spec.values if isinstance(v, ast.Constant)) if node.format_spec else ""
        return "4,321" if "," in spec else "0.42" if "f" in spec else "12"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _sample(node.left, constants) + _sample(node.right, constants)
    if isinstance(node, ast.Name) and isinstance(constants.get(node.id), (ast.Constant, ast.JoinedStr, ast.BinOp)):
        return _sample(constants[node.id], constants)
    return "12"  # a call or a variable: some words or a number


def _is_string(node: ast.AST, constants: dict[str, ast.AST]) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_string(node.left, constants) or _is_string(node.right, constants)
    if isinstance(node, ast.Name):
        return node.id in constants and _is_string(constants[node.id], constants)
    return False


def _is_notes(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "notes") or (isinstance(node, ast.Attribute) and node.attr == "notes")


def notice_templates() -> list[tuple[str, str]]:
    """(where, sample text) of every notice the server's search code can emit."""
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        where = lambda node: f"{path.relative_to(ROOT)}:{node.lineno}"  # noqa: E731
        for node in ast.walk(tree):
            # notes.append("…") / q.notes.append(NO_WORDS) / notes.extend(["…"])
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("append", "extend")
                    and _is_notes(node.func.value) and node.args):
                arg = node.args[0]
                items = arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
                found += [(where(node), _sample(a, constants)) for a in items if _is_string(a, constants)]
            # return [f"…"] / return text, [f"…", *notes] / return f"…" in a function that makes notices
            if isinstance(node, ast.FunctionDef) and node.name in NOTICE_FUNCTIONS:
                for ret in (n for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None):
                    values = [ret.value]
                    while values:
                        v = values.pop()
                        if isinstance(v, (ast.List, ast.Tuple)):
                            values += v.elts
                        elif _is_string(v, constants):
                            found.append((where(ret), _sample(v, constants)))
    return found


def test_notice_templates_are_found():
    """The scan sees the notices this test was written against (so an empty scan cannot pass)."""
    texts = [t for _, t in notice_templates()]
    for lead in ("query cut to its first", "the query has no searchable words", "nothing in the query matched",
                 "most of the query matched nothing", "cited article", "names no law", "no law is named before it",
                 "the query looked like Korean text", "the query was cut to its first", "Hanja read in Hangul",
                 "short law names read in full"):
        assert any(lead in t for t in texts), (lead, texts)


def test_every_notice_template_has_a_korean_pattern():
    missing = [(where, text) for where, text in notice_templates() if korean_pattern(text) is None]
    assert not missing, "notices the page would show in English (add a NOTICE_KO pattern in app.js):\n" + "\n".join(
        f"  {where}: {text!r}" for where, text in missing)


# --- real notices ----------------------------------------------------------------------------------------------------


def real_notices() -> list[str]:
    """Notices made by the server's own functions, as a search makes them."""
    from legalret.config import MAX_QUERY_CHARS, query_cut_note
    from legalret.keys import LawNames
    from legalret.search.areas import area_notes, area_word_notes
    from legalret.search.citations import unresolved_citations
    from legalret.search.coverage import coverage_notes, filtered_notes
    from legalret.search.prepare import NO_WORDS, QueryPreparer, hangul_query, law_names_only_notice

    vocabulary = {"유치", "유치권", "점유"}
    notes = [
        *coverage_notes(["zzqqxx"], vocabulary),                                  # /?q=zzqqxx
        *coverage_notes(["foo", "bar", "baz", "유치", "유치권"], vocabulary),       # /?q=foo bar baz 유치권
        *coverage_notes([f"w{i}" for i in range(8)], vocabulary),                 # more words than a notice names
        *filtered_notes(["보험", "해지"], lambda words: [], "민법"),                  # /?q=보험 해지&law=민법
        query_cut_note(MAX_QUERY_CHARS + 1234),
        NO_WORDS,
        *unresolved_citations("형법 제250조", LawNames(["민법", "상법"])),
        *unresolved_citations("제3조", LawNames(["민법", "상법"])),
        *unresolved_citations("민법 제750조 같은 법 제3조", LawNames(["상법"])),
        *unresolved_citations("민법 부칙 제2조", LawNames(["민법"])),
        *unresolved_citations("주택임대차법 제3조", LawNames(["주택임대차보호법"])),
        *unresolved_citations("민볍 제750조", LawNames(["민법"])),
        *unresolved_citations("근로기준볍 제23조", LawNames(["민법"])),
        *_not_in_force_notes(),
        *_range_notes(),
        "decision 2016다248806 (2017-05-17): the articles of this index it cites come first (3)",
        *hangul_query("民法 第750條의 損害賠償")[1],
        *QueryPreparer(None, LawNames(["근로기준법"])).full_law_names("근기법 제23조의 정당한 이유")[1],
        *area_notes("노동법상 해고 요건", LawNames(["민법", "상법"])),  # (made in legalret.corpus: not among the templates)
        law_names_only_notice("민법", LawNames(["민법", "상법"])),
        *area_word_notes("회사에서 부당하게 해고당했어요", LawNames(["민법", "상법"])),
        law_names_only_notice("민법, 상법?", LawNames(["민법", "상법"])),
    ]
    assert len(notes) >= 7, notes
    return notes


def _not_in_force_notes() -> list[str]:
    from legalret.articles import Article, Paragraph
    from legalret.search.results import Hit, mark_not_in_force

    pending = Article(law="고용보험법", number=10, paragraphs=[Paragraph(None, "… <신설 2026.3.17>")],
                      effective_date="2028-01-01", promulgated="2026-03-17")
    notes: list[str] = []
    mark_not_in_force([Hit(pending.key, 1.0, pending)], "2026-12-05", notes)
    return notes


def _range_notes() -> list[str]:
    """A range written high end first, and a long one (its deleted articles counted), as the search says them."""
    from types import SimpleNamespace

    from legalret.articles import Article, Paragraph
    from legalret.keys import LawNames
    from legalret.search.citations import find_citations
    from legalret.search.results import cited_range, range_size_notice, reversed_range_notice

    arts = [Article(law="민법", number=n, paragraphs=[Paragraph(None, "삭제 <2011.3.7>" if n == 9 else "…")],
                    deleted=n == 9) for n in (1, 8, 9, 10)]
    data = SimpleNamespace(articles=arts, by_key={a.key: i for i, a in enumerate(arts)})
    cite = find_citations("민법 제10조 내지 제1조", LawNames(["민법"]))[-1]
    span, between = cited_range(cite, data)
    from legalret.search.citations import reversed_item_range_notice
    from legalret.search.results import missing_article_notice

    items = find_citations("민법 제10조 제1항 제3호 내지 제1호", LawNames(["민법"]))  # (written high end first)
    invented = find_citations("민법 제329조의2", LawNames(["민법"]))[0]  # (a law the index holds, an article it lacks)
    return [reversed_range_notice(cite, span), range_size_notice(span, between, data, 1, "not deleted are listed"),
            *[reversed_item_range_notice(c) for c in items if c.item_range_written],
            missing_article_notice(invented, data)]


def test_real_notices_have_a_korean_pattern():
    for notice in real_notices():
        assert korean_pattern(notice) is not None, notice


def test_repaired_query_notice_has_a_korean_pattern():
    from legalret.ingest.mojibake import corrupt
    from legalret.search.prepare import repaired_query

    text, notes = repaired_query(corrupt("유치권을 행사"))
    assert text == "유치권을 행사" and notes
    for notice in notes:
        assert korean_pattern(notice) is not None, notice


NODE = shutil.which("node") or shutil.which("nodejs")

# app.js's noticeKo in node: the page script runs with a stub document (it waits for DOMContentLoaded, which never
# comes), and the function is called on each notice from stdin.
_NODE_SCRIPT = r"""
const fs = require("fs");
const src = fs.readFileSync(process.argv[1], "utf8");
const document = { readyState: "loading", addEventListener() {} };
const noticeKo = new Function("document", src + "\nreturn noticeKo;")(document);
const notices = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(notices.map(noticeKo)));
"""


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_page_shows_the_notices_in_korean():
    """app.js's own noticeKo turns each real notice into Korean, keeping the words it names."""
    notices = real_notices()
    out = subprocess.run([NODE, "-e", _NODE_SCRIPT, str(APP_JS)], input=json.dumps(notices),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    korean = dict(zip(notices, json.loads(out.stdout)))
    english = re.compile(r"\b(the|query|index|article|matched|nothing|cited|named|words|characters)\b", re.I)
    for notice, ko in korean.items():  # (a command to type, in `…`, stays as it is typed)
        assert ko != notice and re.search("[가-힣]", ko) and not english.search(re.sub("`[^`]*`", "", ko)), (notice, ko)
    nothing, most, many = notices[:3]
    assert "'zzqqxx'" in korean[nothing] and "추측" in korean[nothing]
    assert "'foo', 'bar', 'baz'" in korean[most] and "'유치', '유치권'만으로" in korean[most]
    assert korean[many].count("'w") == 5 and "…" in korean[many]


_NODE_ERRORS = _NODE_SCRIPT.replace("return noticeKo;", "return errorKo;")  # (the same script, with errorKo)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_page_shows_the_errors_a_person_meets_in_korean(tmp_path):
    """The page showed the server's errors raw: "오류: no article of 근로기준법 is of kind 시행령 (… --law '근로기준법
    시행령')" after picking both from its own lists, "Failed to fetch" when the server stopped, an HTTP header to send
    when the server wants a token. Made by the server's own code where it makes them."""
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "index"))
    import index_support as sup

    from legalret.config import k_error
    from legalret.index.build import build_index
    from legalret.search.searcher import Searcher

    index = tmp_path / "idx"
    build_index(sup.articles(), index, model="none")
    s = Searcher(index)
    errors = []
    for laws, kinds in (("민법", "시행령"), ("형볍", None), ("상법", "시행령")):
        with pytest.raises(Exception) as e:
            s.search("목적", laws=laws, kinds=kinds)
        errors.append(str(e.value))
    for call in (lambda: s.search("목적", kinds="규칙"), lambda: s.search("목적", laws="헌법")):
        with pytest.raises(Exception) as e:
            call()
        errors.append(str(e.value))
    from legalret.search.response import request_error

    errors.append(request_error("목적", 5, "foo"))
    errors += [k_error(0), "k: Input should be a valid integer, unable to parse string as an integer",
               "missing or wrong bearer token (send 'Authorization: Bearer <token>')", "Failed to fetch"]
    out = subprocess.run([NODE, "-e", _NODE_ERRORS, str(APP_JS)], input=json.dumps(errors),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    korean = dict(zip(errors, json.loads(out.stdout)))
    for error, ko in korean.items():
        assert ko != error and re.search("[가-힣]", ko) and "--law" not in ko and "Bearer" not in ko, (error, ko)
    assert "「민법 시행령」" in korean[errors[0]] and "형볍" in korean[errors[1]]
    assert "이 색인에 없는 종류입니다: 규칙" in korean[errors[3]] and "헌법은" in korean[errors[4]]
    assert "알 수 없는 검색 방식입니다: foo" in korean[errors[5]]
