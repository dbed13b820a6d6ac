"""Bad ``LEGALRET_*`` values are one ``error:`` line naming the variable (s24).

What an operator found, and what now happens:

* **F2** — ``LEGALRET_HOME`` a file (or a folder that cannot be made): an in-process ``legalret search`` printed a
  15-line traceback, raised by the early Kiwi fork in :mod:`legalret.__main__` before the CLI (which prints a
  :class:`~legalret.errors.LegalretError` as one line) was loaded. Now the fork is skipped on such an error, and the
  search itself reports it: the one line every other command prints.
* **F3** — ``LEGALRET_TOKENIZER_WORKERS=many``: a ``ValueError: invalid literal for int()`` traceback in ``search``
  and ``index add``. Now one line, worded as ``LEGALRET_KEEP_GENERATIONS=zero`` is ("give a whole number, 1 or
  more"); 0 and negative numbers, which had quietly become 1, are refused with it.
* **F4** — values taken silently: ``LEGALRET_PRECISION=fp64`` (had been the automatic choice),
  ``LEGALRET_READ_AHEAD=bogus`` (on), ``LEGALRET_RESIDENT=bogus`` (auto); ``LEGALRET_PASSAGE_ENCODER=bogus`` was
  refused without naming the variable. Now each is one line naming the variable, the value and the accepted values,
  raised when the variable is read (:mod:`legalret.config`). Accepted values, their spellings (any case, spaces
  around) and the defaults are unchanged; an empty value still means unset.
* **P4** — ``LEGALRET_TOKEN_CACHE=bogus`` created ``./bogus`` in the current folder. A cache folder may still be
  relative (taken from the current folder, now made absolute when read, ``~`` expanded), but a bare word that is no
  folder there (``bogus``, ``on``, ``disable``) is refused: ``./bogus`` says a new folder here is meant. ``off`` (and
  ``0``, ``false``, ``no``, ``none``) still turn the cache off. ``LEGALRET_VECTOR_CACHE`` is read the same way.

The CLI runs are real processes (``python -m legalret``, ``LEGALRET_RESIDENT=off``: what a pipe sees).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from legalret.errors import LegalretError, ModelError

REPO = Path(__file__).resolve().parents[1]
PRECEDENTS = REPO / "tests" / "fixtures" / "precedents"
STATUTES = PRECEDENTS / "statutes" / "legalize-kr"
DECISIONS = PRECEDENTS / "md"

#: The variables this file sets: cleared for the unit tests, so that the machine's own settings do not leak in.
VARIABLES = ("LEGALRET_HOME", "LEGALRET_RESIDENT", "LEGALRET_READ_AHEAD", "LEGALRET_PRECISION",
             "LEGALRET_PASSAGE_ENCODER", "LEGALRET_TOKENIZER_WORKERS", "LEGALRET_TOKEN_CACHE", "LEGALRET_VECTOR_CACHE",
             "LEGALRET_SERVER")


def _run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "LEGALRET_PROGRESS": "off",
            "COLUMNS": "200", "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), **env}
    return subprocess.run([sys.executable, "-m", "legalret", *args], capture_output=True, text=True, env=full,
                          cwd=cwd, timeout=300)


def _one_error_line(proc: subprocess.CompletedProcess, *parts: str) -> str:
    """The run failed with exit 1 and one line on stderr, ``error: …`` holding ``parts``; no traceback."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout[-1500:], proc.stderr[-1500:])
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr[-1500:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    for part in parts:
        assert part in errors[0], (part, errors[0])
    return errors[0]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    """A BM25-only index of the precedent fixtures' statutes (built by the real CLI)."""
    root = tmp_path_factory.mktemp("s24env")
    proc = _run("index", "build", str(STATUTES), "--index", str(root / "idx"), "--model", "none", cwd=root,
                LEGALRET_HOME=str(root / "home"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return root / "idx"


@pytest.fixture()
def clean_env(monkeypatch, tmp_path):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


# ---- F2: a bad LEGALRET_HOME ---------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_a_search_under_a_bad_home_is_one_error_line(tmp_path, where):
    a_file = tmp_path / "homefile"
    a_file.write_text("hi\n", encoding="utf-8")
    home = a_file if where == "a file" else a_file / "sub"
    proc = _run("search", "유치권", "-k", "2", cwd=tmp_path, LEGALRET_HOME=str(home))
    why = "a file, not a folder" if where == "a file" else "cannot create it ("
    _one_error_line(proc, f"LEGALRET_HOME {home}: {why}", "; set LEGALRET_HOME to a folder you can write")


def test_the_early_fork_skips_a_setting_it_cannot_read(clean_env, tmp_path):
    """:func:`legalret.__main__.start_tokenizer` runs before the CLI: a LegalretError there forks nothing and is left
    for the search to report; any other error is not swallowed."""
    from legalret import __main__ as entry
    from legalret.index.tokenize import TokensAhead

    a_file = tmp_path / "homefile"
    a_file.write_text("hi\n", encoding="utf-8")
    clean_env.setenv("LEGALRET_RESIDENT", "off")
    clean_env.setenv("LEGALRET_HOME", str(a_file))
    started = []
    clean_env.setattr(TokensAhead, "start", classmethod(lambda cls, settings=None: started.append(settings)))
    assert entry.start_tokenizer(["유치권"]) is None and started == []
    clean_env.delenv("LEGALRET_HOME")
    clean_env.setenv("LEGALRET_RESIDENT", "bogus")
    assert entry.start_tokenizer(["유치권"]) is None and started == []
    clean_env.setenv("LEGALRET_RESIDENT", "off")
    clean_env.setattr(entry, "index_tokenizer", lambda args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        entry.start_tokenizer(["유치권"])
    clean_env.setattr(entry, "index_tokenizer", lambda args: None)
    entry.start_tokenizer(["유치권", "--index", str(tmp_path)])
    assert started == [None]  # a readable setting: the fork as before


# ---- F3: LEGALRET_TOKENIZER_WORKERS --------------------------------------------------------------------------
def test_search_and_index_add_with_workers_many_are_one_error_line(index, tmp_path):
    want = "LEGALRET_TOKENIZER_WORKERS='many': give a whole number, 1 or more (default: the CPU count, at most 2)"
    proc = _run("search", "유치권", "-k", "1", "--index", str(index), cwd=tmp_path,
                LEGALRET_HOME=str(tmp_path / "home"), LEGALRET_TOKENIZER_WORKERS="many")
    assert _one_error_line(proc) == f"error: {want}"
    proc = _run("index", "add", "--index", str(index), "--precedents", str(DECISIONS), cwd=tmp_path,
                LEGALRET_HOME=str(tmp_path / "home"), LEGALRET_TOKENIZER_WORKERS="many")
    assert _one_error_line(proc) == f"error: {want}"
    # the same index searches with a good value
    proc = _run("search", "유치권", "-k", "1", "--index", str(index), "--json", cwd=tmp_path,
                LEGALRET_HOME=str(tmp_path / "home"), LEGALRET_TOKENIZER_WORKERS=" 2 ")
    assert proc.returncode == 0 and proc.stdout.strip(), proc.stderr[-1500:]


@pytest.mark.parametrize("value, workers", [("", None), ("1", 1), (" 2 ", 2), ("16", 16)])
def test_tokenizer_workers_accepted(clean_env, value, workers):
    from legalret.config import env_tokenizer_workers
    from legalret.index.tokenize import default_workers

    clean_env.setenv("LEGALRET_TOKENIZER_WORKERS", value)
    assert env_tokenizer_workers() == workers
    assert default_workers() == (workers or max(1, min(2, os.cpu_count() or 1)))


@pytest.mark.parametrize("value", ["many", "0", "-2", "+2", "2.0", "²", "1e3"])
def test_tokenizer_workers_refused(clean_env, value):
    from legalret.index.tokenize import default_workers

    clean_env.setenv("LEGALRET_TOKENIZER_WORKERS", value)
    with pytest.raises(LegalretError, match=r"^LEGALRET_TOKENIZER_WORKERS='.*': give a whole number, 1 or more"):
        default_workers()


# ---- F4: LEGALRET_RESIDENT, LEGALRET_READ_AHEAD, LEGALRET_PRECISION, LEGALRET_PASSAGE_ENCODER -----------------
def test_search_with_resident_bogus_is_one_error_line(tmp_path):
    proc = _run("search", "유치권", "-k", "1", cwd=tmp_path, LEGALRET_HOME=str(tmp_path / "home"),
                LEGALRET_RESIDENT="bogus")
    assert _one_error_line(proc) == "error: LEGALRET_RESIDENT='bogus': choose auto, on or off (default auto)"


def test_a_build_with_read_ahead_bogus_is_one_error_line(tmp_path):
    proc = _run("index", "build", str(STATUTES), "--index", str(tmp_path / "idx"), "--model", "none",
                "--precedents", str(DECISIONS), cwd=tmp_path, LEGALRET_HOME=str(tmp_path / "home"),
                LEGALRET_READ_AHEAD="bogus")
    assert _one_error_line(proc) == "error: LEGALRET_READ_AHEAD='bogus': choose on, read or off (default on)"
    assert not (tmp_path / "idx" / "CURRENT").exists()


@pytest.mark.parametrize("value, mode", [("", "auto"), ("auto", "auto"), (" ON ", "on"), ("1", "on"), ("yes", "on"),
                                         ("true", "on"), ("off", "off"), ("0", "off"), ("No", "off"),
                                         ("false", "off")])
def test_resident_accepted(clean_env, value, mode):
    from legalret.config import resident_setting

    clean_env.setenv("LEGALRET_RESIDENT", value)
    assert resident_setting() == mode


@pytest.mark.parametrize("value, mode", [("", "on"), ("on", "on"), ("1", "on"), ("true", "on"), ("yes", "on"),
                                         (" READ ", "read"), ("off", "off"), ("0", "off"), ("false", "off"),
                                         ("no", "off")])
def test_read_ahead_accepted(clean_env, value, mode):
    from legalret.memory.update import read_ahead_mode

    clean_env.setenv("LEGALRET_READ_AHEAD", value)
    assert read_ahead_mode() == mode


@pytest.mark.parametrize("name, value, accepted", [
    ("LEGALRET_RESIDENT", "bogus", "choose auto, on or off"),
    ("LEGALRET_RESIDENT", "always", "choose auto, on or off"),
    ("LEGALRET_READ_AHEAD", "bogus", "choose on, read or off"),
    ("LEGALRET_READ_AHEAD", "ahead", "choose on, read or off"),
    ("LEGALRET_PRECISION", "fp64", "choose auto, fp32 or bf16"),
    ("LEGALRET_PRECISION", "fp16", "choose auto, fp32 or bf16"),
    ("LEGALRET_PASSAGE_ENCODER", "bogus", "choose torch, onnx-fp32, onnx-int8 or onnx-nbits8 (default torch)"),
    ("LEGALRET_PASSAGE_ENCODER", "onnx-fp16", "choose torch, onnx-fp32, onnx-int8 or onnx-nbits8 (default torch)"),
])
def test_an_unknown_value_names_the_variable_the_value_and_the_choices(clean_env, name, value, accepted):
    from legalret import config
    from legalret.memory.update import read_ahead_mode
    from legalret.models.encoder import resolve_precision
    from legalret.models.onnx import passage_runtime

    reader = {"LEGALRET_RESIDENT": config.use_resident, "LEGALRET_READ_AHEAD": read_ahead_mode,
              "LEGALRET_PRECISION": lambda: resolve_precision("auto", "cpu"),
              "LEGALRET_PASSAGE_ENCODER": passage_runtime}[name]
    clean_env.setenv(name, value)
    with pytest.raises(LegalretError) as caught:
        reader()
    assert str(caught.value).startswith(f"{name}={value!r}: {accepted}")
    assert "\n" not in str(caught.value)
    if name == "LEGALRET_PASSAGE_ENCODER":  # (the class it had: callers catching ModelError still do)
        assert isinstance(caught.value, ModelError)


@pytest.mark.parametrize("value, read", [("", None), ("auto", None), ("fp32", "fp32"), (" BF16 ", "bf16")])
def test_precision_accepted(clean_env, value, read):
    from legalret.config import env_precision
    from legalret.models.encoder import resolve_precision

    clean_env.setenv("LEGALRET_PRECISION", value)
    assert env_precision() == read
    if read:
        assert resolve_precision("auto", "cpu") == read


def test_precision_is_read_only_where_auto_asks_for_it(clean_env):
    from legalret.models.encoder import resolve_precision

    clean_env.setenv("LEGALRET_PRECISION", "fp64")
    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"


@pytest.mark.parametrize("value, read", [("", None), ("torch", "torch"), ("ONNX-nbits8 ", "onnx-nbits8"),
                                         ("onnx-int8", "onnx-int8"), ("onnx-fp32", "onnx-fp32")])
def test_passage_encoder_accepted(clean_env, value, read):
    from legalret.config import env_passage_encoder
    from legalret.models.onnx import passage_runtime

    clean_env.setenv("LEGALRET_PASSAGE_ENCODER", value)
    assert env_passage_encoder() == read
    if read and read != "torch":
        assert passage_runtime() == read


def test_the_passage_encoders_config_lists_are_the_onnx_variants():
    """config lists them (it must not import numpy); they are what the ONNX module runs."""
    from legalret.config import PASSAGE_ENCODERS
    from legalret.models.onnx import MODEL_FILES

    assert sorted(PASSAGE_ENCODERS) == sorted(["torch", *(f"onnx-{v}" for v in MODEL_FILES)])


# ---- P4: LEGALRET_TOKEN_CACHE / LEGALRET_VECTOR_CACHE ---------------------------------------------------------
def test_a_build_with_token_cache_bogus_is_refused_and_makes_no_folder(tmp_path):
    proc = _run("index", "build", str(STATUTES), "--index", str(tmp_path / "idx"), "--model", "none", cwd=tmp_path,
                LEGALRET_HOME=str(tmp_path / "home"), LEGALRET_TOKEN_CACHE="bogus")
    _one_error_line(proc, "LEGALRET_TOKEN_CACHE='bogus': give a folder", "./bogus", "or off")
    assert not (tmp_path / "bogus").exists()


@pytest.mark.parametrize("name, cache", [("LEGALRET_TOKEN_CACHE", "token_cache"),
                                         ("LEGALRET_VECTOR_CACHE", "vector_cache")])
def test_cache_folder_settings(clean_env, tmp_path, name, cache):
    import importlib

    root = importlib.import_module(f"legalret.index.{cache}").cache_root
    clean_env.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    for off in ("off", "OFF", " 0 ", "false", "no", "none"):
        clean_env.setenv(name, off)
        assert root() is None
    clean_env.setenv(name, "")  # unset: the home's
    assert root() == tmp_path / "home" / "cache" / ("tokens" if cache == "token_cache" else "vectors")
    clean_env.setenv(name, str(tmp_path / "abs"))
    assert root() == tmp_path / "abs"
    clean_env.setenv(name, "./here")  # relative: from the current folder, made absolute
    assert root() == tmp_path / "here"
    clean_env.setenv(name, "sub/dir")
    assert root() == tmp_path / "sub" / "dir"
    clean_env.setenv("HOME", str(tmp_path / "user"))
    clean_env.setenv(name, "~/c")
    assert root() == tmp_path / "user" / "c"
    (tmp_path / "existing").mkdir()
    clean_env.setenv(name, "existing")  # a bare word naming a folder that is there: that folder
    assert root() == tmp_path / "existing"
    for word in ("bogus", "on", "disable"):
        clean_env.setenv(name, word)
        with pytest.raises(LegalretError, match=rf"^{name}='{word}': give a folder .*\./{word}.* or off"):
            root()
        assert not (tmp_path / word).exists()


def test_keep_generations_refuses_a_digit_int_cannot_read(clean_env):
    """'²' is a digit to str.isdigit and none to int(): it had been a ValueError traceback."""
    from legalret.config import keep_generations

    clean_env.setenv("LEGALRET_KEEP_GENERATIONS", "²")
    with pytest.raises(LegalretError, match=r"^LEGALRET_KEEP_GENERATIONS='²': give a whole number, 1 or more"):
        keep_generations()
    clean_env.setenv("LEGALRET_KEEP_GENERATIONS", " 2 ")
    assert keep_generations() == 2
