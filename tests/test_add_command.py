"""The command a notice names to add a law the index lacks (legalret.corpus.manifest.add_command): its practice
manifest's, else the statute mirror with --law; with --index when the index searched is not the default one."""

from legalret.corpus.manifest import add_command, manifest_of
from legalret.keys import LawNames
from legalret.search.citations import unresolved_citations


def test_a_manifest_law_is_added_with_its_manifest():
    assert manifest_of("형법") == "criminal" and manifest_of("근로기준법 시행령") == "labor"
    assert manifest_of("주택임대차보호법") == "tenancy"
    assert manifest_of("민법") == "civil-commercial" and manifest_of("상법 시행령") is None  # (its 법률 only)
    assert add_command("형법") == "legalret index add criminal"


def test_another_law_is_added_from_the_mirror_with_a_law_filter(monkeypatch, tmp_path):
    monkeypatch.setenv("LEGALRET_MIRROR", str(tmp_path / "missing.zip"))
    assert add_command("특허법") == "legalret index add legalize-kr.zip --law 특허법"
    mirror = tmp_path / "my mirror.zip"
    mirror.write_bytes(b"")
    monkeypatch.setenv("LEGALRET_MIRROR", str(mirror))
    assert add_command("상법 시행령") == f"legalret index add '{mirror}' --law '상법 시행령'"  # (quoted for a shell)


def test_the_index_is_named_unless_it_is_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LEGALRET_INDEX", raising=False)
    assert add_command("형법", tmp_path / "home" / "index") == "legalret index add criminal"
    assert add_command("형법", tmp_path / "other") == f"legalret index add criminal --index {tmp_path / 'other'}"
    names = LawNames(["민법", "상법"])
    names.index_dir = tmp_path / "other"
    note, = unresolved_citations("형법 제250조", names)
    assert note.endswith(f"(add it with `legalret index add criminal --index {tmp_path / 'other'}`)")
    names.index_dir = None
    note, = unresolved_citations("형법 제250조", names)
    assert note.endswith("(add it with `legalret index add criminal`)")
