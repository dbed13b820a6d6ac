"""Benchmark scripts' result files and baselines: an index named by its folder, never its machine path, and
every other path where a reader finds it (benchmarks/index_names.py, used by the maintained benchmarks), and
check_hot_paths' revision overlay (the whole ``legalret/index`` package) and child processes (one hash seed)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    """A benchmarks/ script as a module (they are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fixture_index(tmp_path_factory):
    """A BM25-only index of the fixture articles in a folder named ``fixture-idx``."""
    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "index"))
    import index_support as sup

    from legalret.index import build_index

    index = tmp_path_factory.mktemp("bench") / "fixture-idx"
    build_index(sup.articles(), index, model="none")
    return index


def test_recorded_command_names_the_index_by_its_folder():
    names = _script("index_names")
    assert names.recorded_command("style_eval.py", ["--index", "/root/.cache/x/idx-a/", "--split", "report"]) == \
        "python benchmarks/style_eval.py --index idx-a --split report"
    assert names.recorded_command("law_eval.py", ["--index=/tmp/q/idx-b", "--name", "r"]) == \
        "python benchmarks/law_eval.py --index=idx-b --name r"
    assert names.index_name("/tmp/a/b/") == "b"


@pytest.fixture()
def places(tmp_path, monkeypatch):
    """A LEGALRET_HOME and a shared data folder (``statutes/`` in it) of this test's own, as (home, data)."""
    home, data = tmp_path / "lrhome", tmp_path / "data"
    (data / "statutes").mkdir(parents=True)
    monkeypatch.setenv("LEGALRET_HOME", str(home))
    monkeypatch.setenv("LEGALRET_DATA", str(data))
    return home, data


def test_portable_path_gives_a_path_where_a_reader_finds_it(places, tmp_path, monkeypatch):
    names = _script("index_names")
    home, data = places
    questions = ROOT / "benchmarks" / "queries" / "user_questions.jsonl"
    assert questions.is_file()
    assert names.portable_path(questions) == "benchmarks/queries/user_questions.jsonl"
    assert names.portable_path(str(ROOT)) == "."
    monkeypatch.chdir(ROOT / "benchmarks")  # a relative path is read from the working directory
    assert names.portable_path("queries/user_questions.jsonl") == "benchmarks/queries/user_questions.jsonl"
    assert names.portable_path(data / "statutes" / "legalize-kr.zip") == "../shared/data/statutes/legalize-kr.zip"
    assert names.portable_path(data) == "../shared/data"
    assert names.portable_path(home / "bench" / "index-civil-commercial-default-b") == \
        "$LEGALRET_HOME/bench/index-civil-commercial-default-b"
    assert names.portable_path(str(home) + "/") == "$LEGALRET_HOME"
    # anywhere else: the last component, existing or not
    (tmp_path / "q_pairs").mkdir()
    (tmp_path / "q_pairs" / "dev_queries.jsonl").write_text("", encoding="utf-8")
    assert names.portable_path(tmp_path / "q_pairs" / "dev_queries.jsonl") == "dev_queries.jsonl"
    assert names.portable_path("/tmp/q_pairs/train_queries.jsonl") == "train_queries.jsonl"
    assert names.portable_path("/") == "/"
    # the most specific place wins: a home inside the shared data folder is the home
    monkeypatch.setenv("LEGALRET_HOME", str(data / "home"))
    assert names.portable_path(data / "home" / "index") == "$LEGALRET_HOME/index"


def test_portable_path_places_the_real_shared_data(shared_data):
    mirror = shared_data / "statutes" / "legalize-kr.zip"
    assert mirror.is_file()
    assert _script("index_names").portable_path(str(mirror)) == "../shared/data/statutes/legalize-kr.zip"


def test_recorded_command_gives_every_path_argument_portably(places, tmp_path):
    names = _script("index_names")
    home, data = places
    argv = ["--index", str(home / "index-all-ng") + "/", "--questions", str(ROOT / "benchmarks/queries/law_questions.jsonl"),
            "--holdings=/tmp/q_pairs/dev_queries.jsonl", "--before-code", str(ROOT), "--before-home", str(home),
            "--source", str(data / "statutes" / "legalize-kr.zip"), str(tmp_path / "out.json"),
            "--model", "intfloat/multilingual-e5-small", "--split", "report", "-k", "10", "--compare", "HEAD,current"]
    assert names.recorded_command("law_eval.py", argv) == (
        "python benchmarks/law_eval.py --index index-all-ng --questions benchmarks/queries/law_questions.jsonl "
        "--holdings=dev_queries.jsonl --before-code . --before-home $LEGALRET_HOME "
        "--source ../shared/data/statutes/legalize-kr.zip out.json "
        "--model intfloat/multilingual-e5-small --split report -k 10 --compare HEAD,current")
    assert names.recorded_command("robustness.py", []) == "python benchmarks/robustness.py"
    # an experiment records itself under its own folder, its cache folder by where it sits
    assert names.recorded_command("ranker_all_laws.py", ["--cache", str(home / "rk-main" / "d150"), "--depth", "150"],
                                  folder="experiments") == \
        "python experiments/ranker_all_laws.py --cache $LEGALRET_HOME/rk-main/d150 --depth 150"


def test_robustness_records_a_cache_folder_portably(places, monkeypatch):
    spec = importlib.util.spec_from_file_location("robustness_paths", ROOT / "benchmarks" / "robustness.py")
    robustness = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, robustness)  # its dataclasses look their module up
    spec.loader.exec_module(robustness)
    home, _ = places
    monkeypatch.setenv("LEGALRET_VECTOR_CACHE", str(home / "cache" / "vectors"))
    assert robustness._cache_setting("LEGALRET_VECTOR_CACHE", "default") == "$LEGALRET_HOME/cache/vectors"
    monkeypatch.setenv("LEGALRET_VECTOR_CACHE", "off")
    assert robustness._cache_setting("LEGALRET_VECTOR_CACHE", "default") == "off"
    monkeypatch.delenv("LEGALRET_VECTOR_CACHE")
    assert robustness._cache_setting("LEGALRET_VECTOR_CACHE", "default") == "default"


def _style_eval_run(index: Path, tmp_path: Path, questions: list[tuple[str, str, str, str]], name: str):
    """style_eval.py with BM25 alone on (qid, query, gold key, style) report-half questions written to q.jsonl:
    (its output folder, the result JSON)."""
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps({"qid": q, "query": text, "gold": [gold], "style": style, "split": "report"},
                                       ensure_ascii=False) + "\n" for q, text, gold, style in questions), encoding="utf-8")
    out = tmp_path / "out"
    assert _script("style_eval").main(["--index", str(index), "--questions", str(path), "--retrievers", "bm25",
                                       "--resamples", "20", "--out", str(out), "--name", name]) == 0
    return out, json.loads((out / f"{name}.json").read_text(encoding="utf-8"))


def test_two_runs_compare_question_by_question(fixture_index, tmp_path):
    """style_eval keeps each question's metrics; compare_runs pairs two runs by qid and counts the questions that
    moved, per style — one lost question shows as one "down", not only as a mean."""
    compare_runs = _script("compare_runs")
    out, base = _style_eval_run(fixture_index, tmp_path, [("q1", "간접점유", "민법 제194조", "short"),
                                                          ("q2", "유치권", "민법 제320조", "short"),
                                                          ("q3", "유치권 점유", "민법 제320조", "keyword")], "base")
    table = base["per_query"]
    assert table["qid"] == ["q1", "q2", "q3"] and table["style"] == ["short", "short", "keyword"]
    assert table["metrics"] == ["recall@10", "mrr@10", "recall@100"] and table["family"] == ["민사·상사"] * 3
    assert table["bm25"][0][0] == 1.0  # 14 articles: the gold is in the top 10
    short_mean = base["styles"]["short"]["retrievers"]["bm25"]["metrics"]["recall@10"]["mean"]
    assert short_mean == pytest.approx((table["bm25"][0][0] + table["bm25"][1][0]) / 2)  # the rows the means are of
    variant = json.loads(json.dumps(base))
    variant["per_query"]["bm25"][0] = [0.0, 0.0, 1.0]  # q1's gold falls to rank 11
    (out / "new.json").write_text(json.dumps(variant), encoding="utf-8")

    rows = compare_runs.compare(*(compare_runs.read_run(out / f"{n}.json", "bm25", "recall@10") for n in ("base", "new")),
                                n_resamples=50)
    assert list(rows) == ["short", "keyword", "all questions"]
    assert (rows["short"]["n"], rows["short"]["up"], rows["short"]["down"]) == (2, 0, 1)
    assert rows["short"]["diff"]["mean"] == pytest.approx(-0.5) and rows["short"]["down_qids"] == ["q1"]
    assert (rows["keyword"]["up"], rows["keyword"]["down"], rows["keyword"]["diff"]["mean"]) == (0, 0, 0.0)
    assert rows["all questions"]["diff"]["mean"] == pytest.approx(-1 / 3)
    assert compare_runs.main([str(out / "base.json"), str(out / "new.json"), "--retriever", "bm25", "--out", str(out),
                              "--name", "cmp", "--resamples", "50"]) == 0
    md = (out / "cmp.md").read_text(encoding="utf-8")
    assert "| short | 2 | 1.000 | 0.500 | -0.500" in md and md.splitlines()[-1].endswith("| 0 | 1 |")

    del variant["per_query"]["qid"][2], variant["per_query"]["style"][2], variant["per_query"]["family"][2]
    del variant["per_query"]["bm25"][2]
    (out / "fewer.json").write_text(json.dumps(variant), encoding="utf-8")
    with pytest.raises(SystemExit, match="different queries .*'q3'"):
        compare_runs.main([str(out / "base.json"), str(out / "fewer.json"), "--retriever", "bm25"])
    with pytest.raises(SystemExit, match="no retriever 'default' in per_query"):
        compare_runs.main([str(out / "base.json"), str(out / "new.json")])
    del variant["per_query"]
    (out / "old.json").write_text(json.dumps(variant), encoding="utf-8")
    with pytest.raises(SystemExit, match="old.json: no per_query table"):
        compare_runs.main([str(out / "old.json"), str(out / "new.json")])


def test_style_eval_results_name_the_index_not_its_path(fixture_index, tmp_path):
    out, data = _style_eval_run(fixture_index, tmp_path, [("q1", "간접점유", "민법 제194조", "short"),
                                                          ("q2", "유치권", "민법 제320조", "keyword")], "run")
    label = "`fixture-idx` (gen-000001: 14 searchable articles of 3 laws)"
    assert data["settings"]["index"] == "fixture-idx" and data["settings"]["index_label"] == label
    assert data["settings"]["command"] == ("python benchmarks/style_eval.py --index fixture-idx --questions q.jsonl "
                                           "--retrievers bm25 --resamples 20 --out out --name run")
    assert data["settings"]["questions"] == "q.jsonl" and data["settings"]["holdings"] is None
    assert str(fixture_index) not in (out / "run.json").read_text(encoding="utf-8")
    assert str(tmp_path) not in (out / "run.json").read_text(encoding="utf-8")
    md = (out / "run.md").read_text(encoding="utf-8")
    assert f"Index {label}; memory votes only" in md and str(tmp_path) not in md


def test_index_add_report_names_the_index_not_its_path(fixture_index):
    index_add = _script("search_index_add")
    stages = {"tokenize": 0.5, "total": 1.25}
    result = {"index": "fixture-idx", "index_label": index_add.index_label(fixture_index), "law": "민법",
              "law_articles": 9, "index_counts": {"articles": 15, "searchable": 14, "laws": 3},
              "amended_key": "민법 제192조", "in_process": {"amended": {"wall": stages}}, "cli": {"amended": 3.5}}
    md = index_add._markdown(result, index_add.recorded_command("search_index_add.py", ["--index", str(fixture_index)]))
    assert "Index `fixture-idx` (gen-000001: 14 searchable articles of 3 laws) before the run; 15 articles stored" in md
    assert "Reproduce: `python benchmarks/search_index_add.py --index fixture-idx`" in md
    assert str(fixture_index.parent) not in md


def test_hot_path_children_share_one_hash_seed(tmp_path):
    """Two dump processes see one set order (a str's hash, hence a set's order, varies with each process's seed)."""
    check = _script("check_hot_paths")
    code = "print(list({'민법', '상법', '형법', '유치권', '간접점유', '임대차', '보증금', '손해배상', '채무불이행'}))"
    orders = {subprocess.run([sys.executable, "-c", code], env=check.tree_env(tmp_path), capture_output=True, text=True,
                             check=True).stdout for _ in range(3)}
    assert len(orders) == 1 and check.tree_env(tmp_path)["PYTHONPATH"] == str(tmp_path)


def test_hot_path_baseline_takes_the_whole_index_package_from_the_revision(tmp_path):
    """``--rev``'s legalret/index replaces the snapshot's whole (tokenizer, sorted vocabulary, readers): a file
    the revision lacks is gone, a changed one is the revision's."""
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "HEAD"], capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    check = _script("check_hot_paths")
    assert "legalret/index" in check.HOT_FILES
    tree = tmp_path / "tree"
    (tree / "legalret" / "index").mkdir(parents=True)
    (tree / "legalret" / "index" / "tokenize.py").write_text("# edited in the working tree\n", encoding="utf-8")
    (tree / "legalret" / "index" / "not_in_rev.py").write_text("", encoding="utf-8")
    check.baseline_tree("HEAD", tree)
    head = subprocess.run(["git", "-C", str(ROOT), "show", "HEAD:legalret/index/tokenize.py"], capture_output=True,
                          check=True).stdout
    assert (tree / "legalret" / "index" / "tokenize.py").read_bytes() == head
    assert not (tree / "legalret" / "index" / "not_in_rev.py").exists()
    assert (tree / "legalret" / "index" / "sorted_vocab.py").is_file() and (tree / "legalret" / "search" / "searcher.py").is_file()


def test_hot_path_comparison_names_every_query_that_differs():
    """The first 20 differences had all been one query's (a changed citation reading), which hid whether any other
    query differed: ``differing_queries`` names each."""
    check = _script("check_hot_paths")

    def query(qid: str, top: str) -> dict:
        hits = {"hits": [[top, 1.0, {}, {}, [f"r{i}" for i in range(30)]]]}
        return {"qid": qid, "hybrid": hits, "convex": hits, "memory": hits}

    old = {"queries": [query("a", "민법 제1조"), query("b", "민법 제2조"), query("c", "민법 제3조")], "seconds": 1.0}
    new = {"queries": [query("a", "상법 제1조"), query("b", "민법 제2조"), query("c", "상법 제3조")], "seconds": 1.0}
    report = check.compare(old, new, 1e-9)
    assert report["differing_queries"] == ["a", "c"] and len(report["differences"]) <= 20
    assert not report["identical"]
