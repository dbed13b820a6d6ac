"""Where things live, and the project-wide constants (splits, defaults).

* ``LEGALRET_HOME`` — cache for built models, pulled corpora, default index (default: the user cache dir).
* ``LEGALRET_DATA`` — the shared real data (default: ``../shared/data`` beside the repository, if present).
* ``LEGALRET_MIRROR`` — a local legalize-kr mirror (directory or zip) for ``legalret corpus pull``.
* ``LEGALRET_MODEL`` — the encoder spec used when ``--model`` is not given (default ``bundled:me5-small``).
* ``LEGALRET_INDEX`` — the default index directory (default: ``$LEGALRET_HOME/index``).
* ``LEGALRET_KEEP_GENERATIONS`` — index generations kept for ``legalret index rollback`` (default 3, the live
  one included).
* ``LEGALRET_PRECISION`` — encoder precision when not given (``auto`` | ``fp32`` | ``bf16``).
* ``LEGALRET_TOKENIZER_WORKERS`` — Kiwi worker threads for indexing (default: the CPU count, at most 2).
* ``LEGALRET_PASSAGE_ENCODER`` — what index builds embed passages with: ``torch`` (default: the encoder itself) or
  ``onnx-fp32`` | ``onnx-nbits8`` | ``onnx-int8`` (its ONNX export, length-bucketed batches).
* ``LEGALRET_TOKEN_CACHE`` — the tokenization cache's folder (default: ``$LEGALRET_HOME/cache/tokens``), or ``off``.
* ``LEGALRET_VECTOR_CACHE`` — the passage vector cache's folder (default: ``$LEGALRET_HOME/cache/vectors``), or ``off``.
  A relative folder is taken from the current one (``./name``: a bare word that is no folder there is refused).
* ``LEGALRET_READ_AHEAD`` — ``on`` (default) | ``read`` | ``off``: what an index build does in a second process.
* ``LEGALRET_QUERY_VARIANT`` — the ONNX query model (``fp32`` | ``int8`` | ``nbits8``; default: the one the
  index build chose for the export).
* ``LEGALRET_RANKER`` — the learned fusion re-ranker for ``hybrid`` search (a JSON file; ``none`` turns it off;
  default: the shipped ``legalret/data/fusion_ranker.json``, or ``fusion_ranker_all_laws.json`` on an index with
  laws beyond 민법 and 상법).
* ``LEGALRET_SERVER`` — a running ``legalret serve`` (``http://127.0.0.1:8000``) that ``legalret search`` asks.
* ``LEGALRET_RESIDENT`` — ``auto`` (default: in a terminal, ``legalret search`` starts and reuses a background
  server), ``on`` or ``off``; ``LEGALRET_RESIDENT_IDLE`` — its idle shutdown in seconds.
* Settings that change search results (:data:`RESULT_SETTINGS`: ``LEGALRET_RANKER``, ``LEGALRET_QUERY_VARIANT``)
  get a resident server of their own, started with them (:func:`result_settings`), so that a terminal search
  ranks as a piped one.
* ``LEGALRET_TOKEN`` — the bearer token a server requires (unset: none).
* ``LEGALRET_PROGRESS`` — ``bar`` | ``plain`` | ``off`` (default: a bar in a terminal, a line every
  ``LEGALRET_PROGRESS_INTERVAL`` seconds in logs).
* ``LEGALRET_CORPORA`` — extra directories of corpus manifests (``os.pathsep``-separated).
* ``LEGALRET_GITHUB_BASE`` / ``LEGALRET_LAWGO_BASE`` — base URLs for ``legalret corpus pull``.

Every ``LEGALRET_*`` variable is read here and nowhere else. A value that is none of a variable's accepted ones is
a one-line :class:`~legalret.errors.LegalretError` naming the variable, the value and what to give, raised when it
is read; an empty one means unset.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path

DEFAULT_MODEL = "bundled:me5-small"

#: Index passages are cut to this many encoder tokens (queries never are). On the dev holdings the cut
#: costs no recall (``experiments/passage_length.py``); on the full corpus it halves the encoding time.
DEFAULT_PASSAGE_MAX_TOKENS = 128

#: Splits by decision date, everywhere: train < TRAIN_END <= dev < DEV_END. Later decisions are held out.
TRAIN_END = date(2020, 1, 1)
DEV_END = date(2023, 1, 1)

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Longest query searched, in characters, everywhere (CLI, API, web page, Python): a longer one is cut to this
#: length with :func:`query_cut_note` as a visible notice, never refused. A pasted 판결요지 is often 1–3k
#: characters; the encoder reads ~512 tokens of it anyway and BM25 slows down on much longer texts.
MAX_QUERY_CHARS = 4000
#: Most hits one search returns (CLI ``-k``, API ``k``): a larger ``k`` is an error with :func:`k_error`.
MAX_K = 100


def query_cut_note(length: int) -> str:
    """The one notice every interface shows for a query longer than :data:`MAX_QUERY_CHARS`."""
    return f"query cut to its first {MAX_QUERY_CHARS:,} of {length:,} characters (the limit everywhere)"


def search_mode(mode: str) -> str:
    """A requested search mode as the searcher names it: ``BM25``, `` Hybrid `` → ``bm25``, ``hybrid`` (the CLI, the
    API and MCP alike; ``--mode BM25`` had been "unknown search mode")."""
    return mode.strip().lower() if isinstance(mode, str) else mode


def k_error(k: int, most: int = MAX_K) -> str | None:
    """The one message for a ``k`` out of range (None when ``k`` is fine): CLI and API say the same. A ``k`` that is
    no whole number (the string ``"2"``, 2.5, true) is said to be one: "between 1 and 100 (got 2)" had hidden that
    it was text. ``most``: the limit where it is not :data:`MAX_K` (a Python search may read as deep as its
    re-ranker: 150 on an all-law index, and had said "between 1 and 100" while it took 150)."""
    if isinstance(k, bool) or not isinstance(k, int):
        return f"k must be a whole number from 1 to {most}, not {k!r}"
    if not 1 <= k <= most:
        return f"k must be between 1 and {most} (got {k})"
    return None


#: Generations an index keeps (the live one included) so that ``legalret index rollback`` can restore one.
DEFAULT_KEEP_GENERATIONS = 3


def keep_generations() -> int:
    """How many generations an index keeps (``LEGALRET_KEEP_GENERATIONS``, default 3, at least 1)."""
    env = env_keep_generations()
    return DEFAULT_KEEP_GENERATIONS if env is None else env


def env_keep_generations() -> int | None:
    """``LEGALRET_KEEP_GENERATIONS`` when set (a whole number, 1 or more), else None: what a report names as the
    setting it pruned by."""
    env = (os.environ.get("LEGALRET_KEEP_GENERATIONS") or "").strip()
    if not env:
        return None
    # refused like --keep: 0 had quietly become 1 and pruned every generation a rollback could return to, 'abc' the
    # default without a word
    if not (env.isascii() and env.isdigit()) or int(env) < 1:  # (isascii: '²' is a digit int() cannot read)
        from legalret.errors import LegalretError

        raise LegalretError(f"LEGALRET_KEEP_GENERATIONS={env!r}: give a whole number, 1 or more "
                            f"(default {DEFAULT_KEEP_GENERATIONS})")
    return int(env)


def _env_error(name: str, value: str, want: str, cls: type | None = None):
    """The one-line error for a ``LEGALRET_*`` value that is not one of its accepted values (as
    :func:`keep_generations` and :func:`resident_idle_seconds` word theirs): the variable, the value, what to give.
    ``cls``: a :class:`~legalret.errors.LegalretError` subclass (default: that class)."""
    from legalret.errors import LegalretError

    return (cls or LegalretError)(f"{name}={value!r}: {want}")


def _env_choice(name: str, choices: dict[str, str], want: str, cls: type | None = None) -> str | None:
    """``name``'s value (stripped, any case) as ``choices`` maps it; None when unset or empty. Anything else is the
    one-line error: an unknown value had quietly meant the default (``LEGALRET_RESIDENT=bogus``: auto;
    ``LEGALRET_READ_AHEAD=bogus``: on; ``LEGALRET_PRECISION=fp64``: the automatic choice)."""
    raw = os.environ.get(name) or ""
    value = raw.strip().lower()
    if not value:
        return None
    if value not in choices:
        raise _env_error(name, raw.strip(), want, cls)
    return choices[value]


#: ``LEGALRET_PRECISION``: what it may name (``auto``: the encoder's own choice, as unset).
PRECISIONS = ("auto", "fp32", "bf16")


def env_precision() -> str | None:
    """``LEGALRET_PRECISION`` (``fp32`` | ``bf16``; ``auto`` or unset: None, the encoder's own choice — bf16 where
    the hardware does bf16 natively). Another value is a one-line error ('fp64' had silently been the automatic
    choice)."""
    value = _env_choice("LEGALRET_PRECISION", {p: p for p in PRECISIONS},
                        "choose auto, fp32 or bf16 (default auto: bf16 where the CPU or GPU does bf16 natively, else fp32)")
    return None if value == "auto" else value


def env_query_variant() -> str | None:
    """``LEGALRET_QUERY_VARIANT``, when set (the ONNX query model variant, :mod:`legalret.models.onnx`)."""
    return os.environ.get("LEGALRET_QUERY_VARIANT") or None


def env_tokenizer_workers() -> int | None:
    """``LEGALRET_TOKENIZER_WORKERS``, when set (Kiwi worker threads): a whole number, 1 or more. Anything else is a
    one-line error ('many' had been a ValueError traceback, 0 or -2 had quietly become 1)."""
    text = (os.environ.get("LEGALRET_TOKENIZER_WORKERS") or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) < 1:  # (isascii: '²' is a digit int() cannot read)
        raise _env_error("LEGALRET_TOKENIZER_WORKERS", text, "give a whole number, 1 or more "
                         "(default: the CPU count, at most 2)")
    return int(text)


#: ``LEGALRET_PASSAGE_ENCODER``: what index builds embed passages with — torch (the encoder itself), or its ONNX
#: export in one of :data:`legalret.models.onnx.MODEL_FILES`' variants (listed here: that module loads numpy).
PASSAGE_ENCODERS = ("torch", "onnx-fp32", "onnx-int8", "onnx-nbits8")


def env_passage_encoder() -> str | None:
    """``LEGALRET_PASSAGE_ENCODER``, when set (what index builds embed passages with: one of
    :data:`PASSAGE_ENCODERS`, any case). Another value is a one-line error naming the variable (it had been
    "passage encoder 'bogus': choose …", which did not say where the value came from). A :class:`~legalret.errors.ModelError`, as that message was."""
    from legalret.errors import ModelError

    return _env_choice("LEGALRET_PASSAGE_ENCODER", {p: p for p in PASSAGE_ENCODERS},
                       "choose " + ", ".join(PASSAGE_ENCODERS[:-1]) + f" or {PASSAGE_ENCODERS[-1]} (default torch)",
                       ModelError)


#: Values of ``LEGALRET_TOKEN_CACHE`` / ``LEGALRET_VECTOR_CACHE`` that turn the cache off.
CACHE_OFF = ("off", "0", "false", "no", "none")


def _env_cache_folder(name: str, default: str) -> str | None:
    """A cache folder's setting: ``off`` (and :data:`CACHE_OFF`) as given, else the folder as an absolute path — ``~``
    expanded, a relative one taken from the current folder (so that a process started elsewhere finds the same one).
    A bare word that is no folder here (``bogus``, ``on``, ``disable``) is a one-line error: it had quietly created
    ``./bogus`` in the current folder. ``./name`` makes a new folder here."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return None
    if raw.lower() in CACHE_OFF:
        return raw
    path = Path(raw).expanduser()
    bare = "/" not in raw and os.sep not in raw and not raw.startswith((".", "~"))
    if bare and not path.is_dir():
        raise _env_error(name, raw, f"give a folder (a path: /…, ~/… or ./{raw} for a new one here) or off "
                                    f"(default {default})")
    return str(path.absolute())


def env_token_cache() -> str | None:
    """``LEGALRET_TOKEN_CACHE``, when set (a folder for the tokenization cache, or ``off``): see
    :func:`_env_cache_folder`."""
    return _env_cache_folder("LEGALRET_TOKEN_CACHE", "$LEGALRET_HOME/cache/tokens")


def env_vector_cache() -> str | None:
    """``LEGALRET_VECTOR_CACHE``, when set (a folder for the passage vector cache, or ``off``): see
    :func:`_env_cache_folder`."""
    return _env_cache_folder("LEGALRET_VECTOR_CACHE", "$LEGALRET_HOME/cache/vectors")


#: ``LEGALRET_READ_AHEAD``'s values (and the words taken for them) — see :func:`legalret.memory.update.read_ahead_mode`.
READ_AHEAD = {"on": "on", "1": "on", "true": "on", "yes": "on", "read": "read",
              "off": "off", "0": "off", "false": "off", "no": "off"}


def env_read_ahead() -> str:
    """``LEGALRET_READ_AHEAD``: ``on`` (the default; unset or empty too), ``read`` or ``off``. Another value is a
    one-line error ('bogus' had quietly been on)."""
    return _env_choice("LEGALRET_READ_AHEAD", READ_AHEAD, "choose on, read or off (default on)") or "on"


def progress_setting() -> tuple[str, str | None]:
    """``LEGALRET_PROGRESS`` (bar | plain | off; '' = by terminal) and ``LEGALRET_PROGRESS_INTERVAL`` (seconds)."""
    return os.environ.get("LEGALRET_PROGRESS", "").strip().lower(), os.environ.get("LEGALRET_PROGRESS_INTERVAL")


def env_corpora_dirs() -> list[Path]:
    """``LEGALRET_CORPORA``: extra directories of corpus manifests."""
    return [Path(p) for p in os.environ.get("LEGALRET_CORPORA", "").split(os.pathsep) if p]


def env_github_base() -> str | None:
    return os.environ.get("LEGALRET_GITHUB_BASE") or None


def env_lawgo_base() -> str | None:
    return os.environ.get("LEGALRET_LAWGO_BASE") or None


def legalret_home(create: bool = True) -> Path:
    """``LEGALRET_HOME``, else the user's cache folder for legalret — created unless ``create`` is False (what only
    looks in it: a search with ``--index`` works under a home it cannot create, a read-only service's included)."""
    env = os.environ.get("LEGALRET_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        from platformdirs import user_cache_dir

        home = Path(user_cache_dir("legalret"))
    if create:
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as e:  # (a traceback had named config.py, not the setting)
            from legalret.errors import LegalretError

            why = "a file, not a folder" if home.exists() and not home.is_dir() else f"cannot create it ({e.strerror or e})"
            raise LegalretError(f"LEGALRET_HOME {home}: {why}; set LEGALRET_HOME to a folder you can write") from None
    return home


def onnx_export_root() -> Path:
    """Where ONNX exports live: ``$LEGALRET_HOME/models/onnx`` (here, not in :mod:`legalret.models.onnx`, which loads
    numpy: the resident server's client looks at it on every terminal search). Only looked up: not created here."""
    return legalret_home(create=False) / "models" / "onnx"


#: The shipped learned fusion re-ranker (``legalret.search.ranker``), trained by ``legalret.train.ranker`` on
#: the 민법+상법 index.
SHIPPED_RANKER = Path(__file__).resolve().parent / "data" / "fusion_ranker.json"
#: The shipped re-ranker of indexes with other laws: trained on the all-acts-decrees index, with the law-level
#: features (which law the lists, the memories' votes and the query point to; 법률 vs 시행령).
SHIPPED_LAW_RANKER = Path(__file__).resolve().parent / "data" / "fusion_ranker_all_laws.json"
#: The laws :data:`SHIPPED_RANKER` was trained on: an index with any other law gets :data:`SHIPPED_LAW_RANKER` —
#: also the main job's index plus a few acts, where it did as well or better (tune mean of recall@10 and MRR@10:
#: + 2 lease acts 0.8056 → 0.8063, + 7 acts 0.7813 → 0.7865; benchmarks/results/mixed-index-ranker/).
CIVIL_COMMERCIAL_LAWS = frozenset({"민법", "상법"})


def default_ranker(laws: Iterable[str] | None = None) -> Path | None:
    """``LEGALRET_RANKER`` (``none``/``off`` = no re-ranker), else the shipped one for an index of ``laws``:
    :data:`SHIPPED_RANKER` for 민법/상법 alone, :data:`SHIPPED_LAW_RANKER` when other laws are indexed too."""
    env = os.environ.get("LEGALRET_RANKER")
    if env and env.strip().lower() in ("none", "off", "0"):
        return None
    if env:
        return Path(env).expanduser()
    if laws is not None and set(laws) - CIVIL_COMMERCIAL_LAWS and SHIPPED_LAW_RANKER.is_file():
        return SHIPPED_LAW_RANKER
    return SHIPPED_RANKER


def default_model() -> str:
    return os.environ.get("LEGALRET_MODEL") or DEFAULT_MODEL


def default_index_dir() -> Path:
    return Path(os.environ.get("LEGALRET_INDEX") or legalret_home() / "index")


def shared_data_dir() -> Path | None:
    """The read-only real data (statutes + precedents), or None when it is not on this machine."""
    env = os.environ.get("LEGALRET_DATA")
    candidates = [Path(env)] if env else []
    candidates += [REPO_ROOT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    for c in candidates:
        if (c / "statutes").is_dir():
            return c.resolve()
    return None


def default_mirror() -> Path | None:
    env = os.environ.get("LEGALRET_MIRROR")
    if env:
        return Path(env).expanduser()
    data = shared_data_dir()
    return data / "statutes" / "legalize-kr.zip" if data else None


def split_of(decided: date) -> str:
    """'train' (< 2020), 'dev' (2020–2022) or 'test' (≥ 2023, never in the shared data)."""
    if decided < TRAIN_END:
        return "train"
    if decided < DEV_END:
        return "dev"
    return "test"


# ---- serving -------------------------------------------------------------------------------------------
def server_url() -> str | None:
    """``LEGALRET_SERVER`` (e.g. ``http://127.0.0.1:8000``), or None."""
    return os.environ.get("LEGALRET_SERVER", "").strip() or None


#: ``LEGALRET_RESIDENT``'s values (and the words taken for them).
RESIDENT = {"auto": "auto", "on": "on", "1": "on", "yes": "on", "true": "on",
            "off": "off", "0": "off", "no": "off", "false": "off"}


def resident_setting() -> str:
    """``LEGALRET_RESIDENT``: 'auto' (also unset or empty) | 'on' | 'off'. Another value is a one-line error ('bogus'
    had quietly been auto)."""
    return _env_choice("LEGALRET_RESIDENT", RESIDENT, "choose auto, on or off (default auto)") or "auto"


def use_resident() -> bool:
    """Whether ``legalret search`` goes through a resident server (:mod:`legalret.serve.resident`): always with
    ``LEGALRET_RESIDENT=on``, never with ``off``; by default when stdout is a terminal (a person typing) and not
    under CI or tests — scripts, pipes and tests search in-process and never leave a process behind. Here, not in
    that module, because a cold search asks it before anything heavy is imported (:mod:`legalret.__main__`)."""
    mode = resident_setting()
    if mode != "auto":
        return mode == "on"
    if under_ci_or_tests():
        return False
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def resident_idle_seconds(default: float) -> float:
    """``LEGALRET_RESIDENT_IDLE`` (seconds, > 0), else ``default``. Anything else is a one-line error naming the
    variable ('abc' had been a traceback at a terminal; 0 a server that never stopped; -5 one that exited at start)."""
    import math

    from legalret.errors import LegalretError

    text = (os.environ.get("LEGALRET_RESIDENT_IDLE") or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise LegalretError(f"LEGALRET_RESIDENT_IDLE={text!r}: give the seconds a resident server waits idle before it "
                            "stops (a number > 0, e.g. 900)")
    return value


#: Environment variables that change what a search returns. A server reads them once, at its start: the CLI
#: asks the resident server started with its own values (one per value), and every server reports its values
#: with each answer, so a search at a terminal ranks as an in-process one and a mismatch is never silent.
RESULT_SETTINGS = ("LEGALRET_RANKER", "LEGALRET_QUERY_VARIANT", "LEGALRET_PRECISION")


def result_settings() -> dict[str, str]:
    """This process's values of :data:`RESULT_SETTINGS` (unset ones left out; a ranker file as an absolute path,
    so that the same file named from two folders is one setting, with its size and modification time: a file
    edited in place is another setting — the resident server had kept ranking with the weights it read at start)."""
    out = {name: os.environ[name].strip() for name in RESULT_SETTINGS if os.environ.get(name, "").strip()}
    ranker = out.get("LEGALRET_RANKER")
    if ranker and ranker.lower() not in ("none", "off", "0"):
        path = Path(ranker).expanduser().resolve()
        try:
            st = path.stat()
            out["LEGALRET_RANKER"] = f"{path} ({st.st_size} bytes, modified {st.st_mtime_ns})"
        except OSError:  # (a missing file: the search says so when it loads it)
            out["LEGALRET_RANKER"] = str(path)
    return out


def server_token() -> str | None:
    """``LEGALRET_TOKEN``: the bearer token a server requires (None or empty: none)."""
    return os.environ.get("LEGALRET_TOKEN") or None


def under_ci_or_tests() -> bool:
    """True under CI or pytest (no resident server is started there)."""
    return bool(os.environ.get("CI") or os.environ.get("PYTEST_CURRENT_TEST"))
