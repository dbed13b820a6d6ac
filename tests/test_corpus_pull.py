"""corpus pull: local mirror (dir and zip), and the real HTTP client against a loopback server that
serves fixture files — 200, 404, 500-then-200 (retry), a server too slow for the timeout, law.go.kr
answers with and without a match, and the OC key kept out of messages."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legalret.articles import read_articles
from legalret.cli import app
from legalret.corpus.pull import HttpClient, NothingPulled, folder_name, pull, resolve_targets
from legalret.corpus.manifest import load_manifest
from legalret.errors import LegalretError, NetworkError, SourceError


class FixtureServer:
    """A loopback HTTP server: GitHub-like raw files under /kr/, a law.go.kr-like /DRF/lawService.do,
    and misbehaving paths for the retry and timeout tests."""

    def __init__(self, fixtures: Path):
        self.fixtures = fixtures
        self.hits: Counter = Counter()
        self.queries: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                parsed = urllib.parse.urlparse(self.path)
                path = urllib.parse.unquote(parsed.path)
                server.hits[path] += 1
                if path.startswith("/slow/"):
                    time.sleep(1.0)
                    return self._send(200, b"too late")
                if path.startswith("/flaky/") and server.hits[path] == 1:
                    return self._send(500, b"internal error")
                if path.startswith("/down/"):
                    return self._send(503, b"unavailable", {"Retry-After": "0"})
                if path == "/DRF/lawService.do":
                    query = dict(urllib.parse.parse_qsl(parsed.query))
                    server.queries.append(query)
                    if query.get("LM") == "테스트 보호법" and query.get("OC"):
                        return self._send(200, (server.fixtures / "lawgo" / "테스트법.json").read_bytes())
                    answer = {"Law": "일치하는 법령이 없습니다. 법령명을 확인하여 주십시오."}
                    return self._send(200, json.dumps(answer, ensure_ascii=False).encode("utf-8"))
                parts = path.strip("/").split("/")  # [prefix, folder, kind.md]
                if len(parts) == 3 and parts[0] in ("kr", "flaky", "slow"):
                    target = server.fixtures / "markdown" / parts[1] / parts[2]
                    if target.is_file():
                        return self._send(200, target.read_bytes())
                return self._send(404, b"not found")

            def _send(self, code, body, headers=None):
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server(fixtures_dir):
    with FixtureServer(fixtures_dir / "ingest") as s:
        yield s


def fast_client(**kw) -> HttpClient:
    return HttpClient(**{"timeout": 0.3, "retries": 2, "backoff": 0.01, **kw})


# ---- GitHub raw files -----------------------------------------------------------------------------
def test_github_pull_over_http(server, tmp_path):
    out = tmp_path / "c.jsonl"
    result = pull(["민법", "상법 시행령"], source="github", base_url=f"{server.base}/kr", out=out, client=fast_client())
    assert result.report.errors == [] and result.written == 13 and result.requests == 2
    keys = [a.key for a in read_articles(out)]
    assert "민법 제14조의2" in keys and "상법 시행령 제2조의2" in keys
    assert server.hits == {"/kr/민법/법률.md": 1, "/kr/상법/시행령.md": 1}
    art = next(a for a in read_articles(out) if a.key == "민법 제1조")
    assert art.source == f"{server.base}/kr/민법/법률.md"


def test_github_404_is_a_per_law_error_and_the_rest_goes_on(server):
    client = fast_client()
    result = pull(["형법", "민법"], source="github", base_url=f"{server.base}/kr", client=client)
    assert {a.law for a in result.articles} == {"민법"}
    reasons = [str(e) for e in result.report.errors]
    assert any("형법/법률.md" in r and "404" in r for r in reasons)
    assert result.missing == ["형법"]
    assert server.hits["/kr/형법/법률.md"] == 1  # a 404 is not retried


def test_500_then_success_is_retried(server):
    client = fast_client()
    result = pull(["민법"], source="github", base_url=f"{server.base}/flaky", client=client)
    assert result.report.errors == [] and len(result.articles) == 10
    assert server.hits["/flaky/민법/법률.md"] == 2 and client.attempts == 2


def test_timeout_gives_a_clear_network_error(server):
    client = fast_client(retries=1)
    start = time.perf_counter()
    with pytest.raises(NetworkError) as e:
        pull(["민법"], source="github", base_url=f"{server.base}/slow", client=client)
    assert time.perf_counter() - start < 3
    message = str(e.value)
    assert "/slow/민법/법률.md" in message and "timed out" in message and "--mirror" in message
    assert client.attempts == 2


def test_persistent_503_gives_up_after_retries(server):
    client = fast_client(retries=2)
    with pytest.raises(NetworkError, match=r"failed after 3 attempt\(s\) \(HTTP 503"):
        client.get(f"{server.base}/down/x")
    assert server.hits["/down/x"] == 3


def test_connection_refused_is_a_network_error():
    client = fast_client(retries=1)
    with pytest.raises(NetworkError, match="--mirror"):
        client.get("http://127.0.0.1:9/nothing")  # discard port: nothing listens


def test_backoff_is_exponential_and_capped():
    waits: list[float] = []
    client = HttpClient(timeout=0.2, retries=4, backoff=1.0, max_backoff=3.0, sleep=waits.append)
    with pytest.raises(NetworkError):
        client.get("http://127.0.0.1:9/nothing")
    assert waits == [1.0, 2.0, 3.0, 3.0]


def test_env_var_overrides_the_base_url(server, monkeypatch):
    monkeypatch.setenv("LEGALRET_GITHUB_BASE", f"{server.base}/kr")
    result = pull(["민법"], source="github", client=fast_client())
    assert len(result.articles) == 10


# ---- law.go.kr ------------------------------------------------------------------------------------
def test_lawgo_pull_uses_the_key_and_hides_it(server, monkeypatch):
    monkeypatch.setenv("LAW_OC", "secret-key")
    result = pull(["테스트 보호법", "없는법"], source="lawgo", base_url=f"{server.base}/DRF/lawService.do",
                  client=fast_client())
    assert [a.key for a in result.articles][:2] == ["테스트 보호법 제1조", "테스트 보호법 제2조"]
    assert server.queries[0] == {"OC": "secret-key", "target": "law", "type": "JSON", "LM": "테스트 보호법"}
    errors = [str(e) for e in result.report.errors]
    assert any("found no such law" in e and "없는법" in urllib.parse.unquote_plus(e) for e in errors)
    assert all("secret-key" not in e for e in errors) and all("secret-key" not in a.source for a in result.articles)


def test_lawgo_without_a_key_says_how_to_get_one(monkeypatch):
    monkeypatch.delenv("LAW_OC", raising=False)
    with pytest.raises(LegalretError, match="LAW_OC"):
        pull(["민법"], source="lawgo")


# ---- local mirror and targets ---------------------------------------------------------------------
def test_mirror_pull_from_zip_and_dir(mirror_zip, fixtures_dir, tmp_path):
    from_zip = pull(["민법"], mirror=mirror_zip, out=tmp_path / "a.jsonl")
    from_dir = pull(["민법"], mirror=fixtures_dir / "ingest" / "markdown")
    assert [a.key for a in from_zip.articles] == [a.key for a in from_dir.articles]
    assert from_zip.written == 10 and from_zip.requests == 0


def test_mirror_from_env(mirror_zip, monkeypatch):
    monkeypatch.setenv("LEGALRET_MIRROR", str(mirror_zip))
    assert {a.law for a in pull(["상법 시행령"]).articles} == {"상법 시행령"}


def test_an_act_with_the_kind_of_its_decree_is_not_missing(mirror_zip):
    """`corpus pull 상법 --kind 시행령` pulled 상법 시행령 and then said "law '상법' was not found" (--strict refused)."""
    result = pull(["상법"], kinds=["시행령"], mirror=mirror_zip)
    assert {a.law for a in result.articles} == {"상법 시행령"} and result.missing == [] and not result.report.errors


def test_missing_law_and_missing_mirror(mirror_zip, tmp_path):
    result = pull(["민법", "형법"], mirror=mirror_zip)
    assert result.missing == ["형법"] and len(result.report.errors) == 1
    with pytest.raises(SourceError, match="mirror not found"):
        pull(["민법"], mirror=tmp_path / "nope.zip")


def test_a_short_name_is_found_when_its_law_was_pulled(mirror_zip, monkeypatch):
    """`corpus pull 주임법` (or `laws: [주임법]`) pulled 주택임대차보호법 and then said "law '주임법' was not found"."""
    import importlib

    for module in ("legalret.ingest.sources", "legalret.corpus.pull"):  # the fixture mirror holds 민법, 상법
        monkeypatch.setattr(importlib.import_module(module), "law_aliases", lambda: {"민사법": "민법"})
    result = pull(["민사법"], mirror=mirror_zip)
    assert {a.law for a in result.articles} == {"민법"} and result.missing == [] and not result.report.errors


def test_cli_pull_refuses_to_write_over_its_mirror(mirror_zip, tmp_path):
    """`--mirror m.zip --out m.zip` replaced the archive with its articles (and said 'wrote 10 articles')."""
    copy = tmp_path / "mirror.zip"
    shutil.copy(mirror_zip, copy)
    before = copy.read_bytes()
    result = CliRunner().invoke(app, ["corpus", "pull", "민법", "--mirror", str(copy), "--out", str(copy)])
    assert result.exit_code == 1 and "is one of the inputs" in str(result.exception)
    assert copy.read_bytes() == before


def test_all_laws_manifest_needs_a_mirror():
    with pytest.raises(LegalretError, match="only a local mirror"):
        pull(["all-acts"], source="github")


def test_resolve_targets():
    assert resolve_targets(None).laws == ["민법", "상법"]
    m = resolve_targets(["civil-commercial", "채무자 회생 및 파산에 관한 법률"])
    assert m.laws == ["민법", "상법", "채무자 회생 및 파산에 관한 법률"] and m.kinds == ["법률"]
    assert resolve_targets(["all-acts-decrees"]).all_laws
    assert resolve_targets(["상법 시행령"]).laws == ["상법 시행령"]
    assert resolve_targets(["민법", "상법 시행령"]).kinds == ["법률"]  # the 시행령 is named by its law name
    assert resolve_targets(["민법"], kinds=["대통령령"]).kinds == ["시행령"]


def test_folder_name_matches_the_mirror_layout():
    assert folder_name("채무자 회생 및 파산에 관한 법률") == "채무자회생및파산에관한법률"
    assert folder_name("남녀고용평등과 일·가정 양립 지원에 관한 법률") == "남녀고용평등과일ㆍ가정양립지원에관한법률"


# ---- CLI ------------------------------------------------------------------------------------------
def test_cli_pull_and_list(mirror_zip, fixtures_dir, tmp_path, server):
    runner = CliRunner()
    out = tmp_path / "c.jsonl"
    result = runner.invoke(app, ["corpus", "pull", "civil-commercial", "--mirror", str(mirror_zip), "--out", str(out),
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert len(list(read_articles(out))) == 10  # 상법 (법률) is not in this small mirror …
    assert "'상법' was not found" in result.output  # … and says so
    strict = runner.invoke(app, ["corpus", "pull", "civil-commercial", "--mirror", str(mirror_zip), "--out",
                                 str(out), "--strict"])
    assert strict.exit_code != 0
    remote = runner.invoke(app, ["corpus", "pull", "민법", "--source", "github", "--base-url", f"{server.base}/kr",
                                 "--out", str(out), "--timeout", "1", "--retries", "0"])
    assert remote.exit_code == 0, remote.output
    # `--warnings` lists what the summary only counts (its hint pointed to an option `corpus pull` did not have)
    conflicted = tmp_path / "conflicted"
    shutil.copytree(fixtures_dir / "ingest" / "conflict" / "해사법", conflicted / "해사법")
    warned = runner.invoke(app, ["corpus", "pull", "해사법", "--mirror", str(conflicted), "--out", str(out), "--json"])
    assert warned.exit_code == 0, warned.output
    assert "--warnings lists them" in warned.output and "merge-conflict" not in warned.stderr
    assert any("merge-conflict" in w for w in json.loads(warned.stdout)["warning_list"])
    listed = runner.invoke(app, ["corpus", "pull", "해사법", "--mirror", str(conflicted), "--out", str(out), "--warnings"])
    assert listed.exit_code == 0 and "merge-conflict" in listed.output
    listing = runner.invoke(app, ["corpus", "list", "--json"])
    names = {m["name"] for m in json.loads(listing.stdout)}
    assert {"civil-commercial", "all-acts", "all-acts-decrees"} <= names


def test_corpus_list_shows_measured_build_cost_and_refuses_a_malformed_one(tmp_path, monkeypatch):
    """Issue 23: `legalret corpus list` shows each corpus's measured build time and size (from its manifest)."""
    from legalret.corpus.manifest import load_manifest

    listing = json.loads(CliRunner().invoke(app, ["corpus", "list", "--json"]).stdout)
    measured = {m["name"]: m["measured"] for m in listing}
    assert measured["civil-commercial"]["build"].startswith("3.5 min") and measured["civil-commercial"]["size"] == "318 MB"
    table = CliRunner().invoke(app, ["corpus", "list"]).output  # 80 columns, as in a pipe
    assert "build" in table and "318 MB" in table
    import re  # the names `index build` takes are never cut: whole, in a table cell or heading their block

    assert all(re.search(rf"(^| ){re.escape(m['name'])}( |$)", table, re.M) for m in listing)
    # what does not fit wraps: the one "…" is the listing's own, after a manifest's first six laws
    assert all(line.rstrip(" │").endswith(" …") for line in table.splitlines() if "…" in line)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nlaws: [민법]\nmeasured: 9 min\n", encoding="utf-8")
    with pytest.raises(SourceError, match="measured"):
        load_manifest(bad)


def test_a_manifest_act_brings_its_decree_from_the_mirror(mirror_zip, tmp_path):
    # the fixture mirror holds 상법's 시행령 only: naming 상법 with kinds [법률, 시행령] pulls it
    path = tmp_path / "commerce.yaml"
    path.write_text("name: commerce\nkinds: [법률, 시행령]\nlaws: [상법]\n", encoding="utf-8")
    result = pull([str(path)], mirror=mirror_zip)
    assert {(a.law, a.kind) for a in result.articles} == {("상법 시행령", "시행령")}
    assert result.missing == ["상법"]  # the act itself is not in this small mirror, and that is said
    # the same law names with the kinds given on the command line
    assert {a.law for a in pull(["상법"], kinds=["법률", "시행령"], mirror=mirror_zip).articles} == {"상법 시행령"}
    # 법률 only: the decree stays out
    with pytest.raises(LegalretError, match="no articles were pulled"):
        pull(["상법"], mirror=mirror_zip)


def test_a_missing_law_is_said_with_the_kinds_and_a_close_name(mirror_zip):
    """`corpus pull` had said "law '민볍' was not found (is it the name as promulgated, e.g. '민법'?)" — and the same of
    민법 under kinds: [시행령], where 민법 is there and has no 시행령 — as `index build` of the manifest now says it."""
    typo = pull(["민볍", "민법"], mirror=mirror_zip)
    assert [str(e) for e in typo.report.errors] == ["mirror: laws: law '민볍' was not found (did you mean 민법?)"]
    with pytest.raises(NothingPulled, match="law '민법' was not found as 시행령; nothing written"):
        pull(["민법"], kinds=["시행령"], mirror=mirror_zip)


@pytest.mark.parametrize("name", ["criminal", "labor", "tenancy", "civil-procedure", "administrative", "tax", "family"])
def test_each_practice_corpus_names_laws_the_mirror_has(shared_data, name):
    """The practice corpora (`legalret index add labor --index DIR`: a practice's acts with their decrees, added to
    the main job's index) name laws as promulgated: each act is in the real mirror, none missing."""
    result = pull([name], mirror=shared_data / "statutes" / "legalize-kr.zip")
    manifest = load_manifest(name)
    assert result.missing == [] and {a.law for a in result.articles} >= set(manifest.laws)
    assert {a.kind for a in result.articles} == {"법률", "시행령"}
