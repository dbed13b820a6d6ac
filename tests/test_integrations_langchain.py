"""The LangChain retriever through langchain-core's own Runnable interface: invoke, ainvoke, batch — over an
index in this process and over a running ``legalret serve``."""

import asyncio
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))  # test_facts: its fixture decisions and facts

pytest.importorskip("langchain_core")
from langchain_core.documents import Document  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402

from legalret.errors import LegalretError  # noqa: E402
from legalret.integrations.langchain import LegalretRetriever  # noqa: E402


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from test_facts import build_with_memories


    idx = tmp_path_factory.mktemp("langchain") / "idx"
    build_with_memories(idx)
    return idx


def _check_lien(docs):
    assert docs and all(isinstance(d, Document) for d in docs)
    assert [d.metadata["rank"] for d in docs] == list(range(1, len(docs) + 1))
    lien = next(d for d in docs if d.metadata["key"] == "민법 제320조")
    assert lien.metadata["title"] == "유치권의 내용" and lien.metadata["law"] == "민법"
    assert "유치" in lien.page_content and isinstance(lien.metadata["score"], float)
    assert any(p["case_no"] == "2018다2002" and p["decided"] == "2018-05-02" for p in lien.metadata["precedents"])


def test_invoke_ainvoke_batch_in_process(index):
    from test_facts import SCENARIO

    retriever = LegalretRetriever(index=index, k=4)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(SCENARIO)
    assert len(docs) <= 4
    _check_lien(docs)
    adocs = asyncio.run(retriever.ainvoke(SCENARIO))
    assert [d.metadata["key"] for d in adocs] == [d.metadata["key"] for d in docs]
    batch = retriever.batch(["보험계약 해지", "민법 제750조"])
    assert len(batch) == 2 and batch[1][0].metadata["key"] == "민법 제750조"
    only = LegalretRetriever(index=index, k=3, law="상법").invoke("보험계약 해지")
    assert only and {d.metadata["law"] for d in only} == {"상법"}
    # the page's 0–100, as a remote retriever gets it from the server (no re-ranker here: the best reads 100), and
    # none for the scenario's hits, which only the facts memory's n-grams found (the notice says: nearest guesses)
    assert only[0].metadata["relevance"] == 100 and only[0].metadata["probability"] is None
    assert all(d.metadata["relevance"] is None for d in docs)
    with pytest.raises(LegalretError, match="empty"):
        retriever.invoke("  ")
    with pytest.raises(ValueError, match="not both"):
        LegalretRetriever(index=index, server_url="http://127.0.0.1:1")
    # what the answer says reaches the chain: a cited article outside the law filter is listed — and said
    (cited, *_) = LegalretRetriever(index=index, k=2, law="민법").invoke("상법 651조의2")
    assert cited.metadata["key"] == "상법 제651조의2"
    assert any("though the law filter is 민법" in n for n in cited.metadata["notices"])
    # a chain's dict input is a one-line error (it was an AttributeError deep in the search); settings per call
    with pytest.raises(LegalretError, match="query: text is expected, got dict"):
        retriever.invoke({"question": "유치권"})
    assert len(retriever.invoke("보험계약 해지", k=1)) == 1
    with pytest.raises(LegalretError, match="top_k: not a search setting"):
        retriever.invoke("보험계약 해지", top_k=1)
    # concurrent first calls open the index once (each had opened its own: gigabytes on the all-law index)
    with counting_opens() as opened:
        cold = LegalretRetriever(index=index, k=2)
        assert len(cold.batch(["보험계약 해지", "유치권", "점유", "임대차"])) == 4
    assert len(opened) == 1


@contextmanager
def counting_opens():
    """A list that gets one item per :class:`~legalret.serve.statutes.StatuteService` opened inside the block."""
    import legalret.serve.statutes as statutes

    opened: list[int] = []

    class Counting(statutes.StatuteService):
        def __init__(self, *args, **kwargs):
            opened.append(1)
            super().__init__(*args, **kwargs)

    original, statutes.StatuteService = statutes.StatuteService, Counting
    try:
        yield opened
    finally:
        statutes.StatuteService = original


class _Notices:
    """A callback handler that keeps what the retriever's run said (``on_text``)."""

    def __new__(cls):
        from langchain_core.callbacks import BaseCallbackHandler

        class Notices(BaseCallbackHandler):
            def __init__(self):
                self.said = []

            def on_text(self, text, **kwargs):
                self.said.append(text)

        return Notices()


NOT_HERE = "cited article 민법 제9999조 is not in this index: 민법 as indexed has no such article (its last is 제751조)"


def test_notices_reach_the_chain_when_nothing_is_found(index, caplog):
    """An invented article or a citation with no law finds nothing: the list is empty, and the notice that says why
    reaches the run's callbacks and the log (it had lived only in documents' metadata: with none, it was gone)."""
    retriever = LegalretRetriever(index=index, k=3)
    notices = _Notices()
    with caplog.at_level("WARNING", logger="legalret.integrations.langchain"):
        assert retriever.invoke("민법 제9999조", config={"callbacks": [notices]}) == []
    assert notices.said == [NOT_HERE]
    assert [r.getMessage() for r in caplog.records] == [f"no articles for '민법 제9999조': {NOT_HERE}"]
    caplog.clear()
    later = _Notices()
    with caplog.at_level("WARNING", logger="legalret.integrations.langchain"):
        assert asyncio.run(retriever.ainvoke("750조", config={"callbacks": [later]})) == []
    assert later.said and "names no law" in later.said[0] and "민법 제750조" in later.said[0]
    assert "names no law" in caplog.records[0].getMessage()
    # with documents: the notices are on each one's metadata as before, and said to the callbacks; nothing is logged
    caplog.clear()
    found = _Notices()
    with caplog.at_level("WARNING", logger="legalret.integrations.langchain"):
        (cited, *_) = LegalretRetriever(index=index, k=2, law="민법").invoke("상법 651조의2", config={"callbacks": [found]})
    assert found.said == cited.metadata["notices"] and found.said and not caplog.records


def test_k_per_call_is_read_as_the_server_reads_it(index):
    """``k="2"`` is 2, as ``legalret serve`` reads it (it had been "k must be between 1 and 100 (got 2)" in this
    process: the value was text); what is no whole number is said so, and the range is the search's one message."""
    retriever = LegalretRetriever(index=index, k=1)
    assert len(retriever.invoke("보험계약 해지", k="2")) == 2
    assert len(retriever.invoke("보험계약 해지", k=None)) == 1  # null: the retriever's own, as the server's default
    for bad, shown in (("2x", "'2x'"), (2.5, "2.5"), (True, "True")):
        with pytest.raises(LegalretError, match=rf"^k must be a whole number from 1 to 100, not {re.escape(shown)}$"):
            retriever.invoke("보험계약 해지", k=bad)
    with pytest.raises(LegalretError, match=r"^k must be between 1 and 100 \(got 0\)$"):
        retriever.invoke("보험계약 해지", k="0")


def test_against_a_running_server(index):
    from test_facts import SCENARIO

    from legalret.serve.server import BackgroundServer

    with BackgroundServer(index, token="t0ken") as srv:
        retriever = LegalretRetriever(server_url=srv.url, token="t0ken", k=4)
        docs = retriever.invoke(SCENARIO)
        _check_lien(docs)
        adocs = asyncio.run(retriever.ainvoke(SCENARIO))
        assert [d.metadata["key"] for d in adocs] == [d.metadata["key"] for d in docs]
        assert len(retriever.batch(["보험계약 해지", "점유"])) == 2
        with pytest.raises(LegalretError, match="empty query"):  # the server's one-line 400
            retriever.invoke(" ")
        # k per call as the in-process retriever takes it (the server's reading: "2" is 2)
        two = retriever.invoke("보험계약 해지", k="2")
        assert len(two) == 2 and two[0].metadata["relevance"] == 100  # (the server's number, as in-process)
        with pytest.raises(LegalretError, match=r"^k must be a whole number from 1 to 100, not '2x'$"):
            retriever.invoke("보험계약 해지", k="2x")
        with pytest.raises(LegalretError, match="token"):
            LegalretRetriever(server_url=srv.url, k=2).invoke("점유")


def test_readme_langchain_example_runs_as_written(index):
    """The README's LangChain example (its ```py block after the retriever heading), run as a user would, on the
    default index (``LEGALRET_INDEX``: the fixture index with both memories)."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("the LangChain retriever"):]
    code = re.search(r"^```py\n(.*?)^```", section, flags=re.S | re.M).group(1)
    assert "LegalretRetriever(" in code
    env = dict(os.environ, LEGALRET_INDEX=str(index), LEGALRET_PROGRESS="off", LEGALRET_RESIDENT="off")
    proc = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert 1 <= len(lines) <= 3 and all(line.startswith("민법 제") for line in lines), proc.stdout
    assert any("2018다2002" in line for line in lines), proc.stdout  # the precedents behind the lien article


def test_a_text_not_in_force_yet_carries_its_day_in_metadata(tmp_path):
    """A RAG chain must not quote next year's text as today's law: the Document says when it takes effect."""
    from legalret import pipeline
    from legalret.articles import Article, Paragraph

    def art(number, text):
        return Article(law="시험고용법", number=number, title="보험료", paragraphs=[Paragraph(None, text)], kind="법률",
                       effective_date="2099-01-01", promulgated="2026-03-17")

    pipeline.build([art(1, "보험료는 사업주가 낸다. <개정 2019.1.15>"), art(2, "보험료 경감은 대통령령으로 정한다. <신설 2026.3.17>")],
                   tmp_path / "i", model="none")
    docs = LegalretRetriever(index=str(tmp_path / "i"), k=2, mode="bm25").invoke("보험료")
    assert {d.metadata["key"]: d.metadata["takes_effect"] for d in docs} == {
        "시험고용법 제1조": None, "시험고용법 제2조": "2099-01-01"}


def test_settings_that_cannot_work_are_refused_at_construction(index):
    """``k=0`` or an unknown mode had been accepted and failed only at the first ``invoke``: refused when the retriever
    is made, in the search's own line. A law or kind the index lacks is refused there too where the index is at hand
    (an opened StatuteService or LiveSearcher: the did-you-mean ``invoke`` gives), and at the first search where it
    is a directory (not opened to check: a retriever made and never called opens nothing)."""
    import legalret.serve.statutes as statutes
    from legalret.serve.live import LiveSearcher

    for settings, line in (({"k": 0}, r"^k must be between 1 and 100 \(got 0\)$"),
                           ({"k": 101, "server_url": "http://127.0.0.1:1"}, r"^k must be between 1 and 100 \(got 101\)$"),
                           ({"k": "2x"}, r"^k must be a whole number from 1 to 100, not '2x'$"),
                           ({"k": True}, r"^k must be a whole number from 1 to 100, not True$"),
                           ({"mode": "magic"}, r"^mode: unknown search mode 'magic' \(choose from hybrid, .*\)$"),
                           ({"index": 3}, r"^index: a directory, a StatuteService or a LiveSearcher is expected, got int$")):
        with pytest.raises(LegalretError, match=line):
            LegalretRetriever(**settings)
    assert LegalretRetriever(k="3").k == 3 and LegalretRetriever(k=None).k == 5  # (read as a call's k is)

    unknown_law = "unknown law filter '상벚': not in this index (did you mean 상법?)"
    with pytest.raises(LegalretError) as at_invoke:  # a directory: the first search says it
        LegalretRetriever(index=index, law="상벚").invoke("보험계약 해지")
    assert str(at_invoke.value) == unknown_law
    with counting_opens() as opened:
        LegalretRetriever(index=index, law="상벚", kind="규칙")
    assert opened == []  # (made, not opened)

    shared = statutes.StatuteService(index, warm=False)
    with pytest.raises(LegalretError) as at_construction:
        LegalretRetriever(index=shared, law="상벚")
    assert str(at_construction.value) == unknown_law  # the one line invoke gives
    with pytest.raises(LegalretError, match=r"^unknown law filter '상벚'.*did you mean 상법"):
        LegalretRetriever(index=LiveSearcher(index, warm=False), law="상벚")
    with pytest.raises(LegalretError, match=r"^unknown kind filter '규칙': this index has "):
        LegalretRetriever(index=shared, kind="규칙")
    # an index at hand that holds the law: searched as it is, without opening another
    only = LegalretRetriever(index=shared, k=2, law="상법").invoke("보험계약 해지")
    assert only and {d.metadata["law"] for d in only} == {"상법"}
