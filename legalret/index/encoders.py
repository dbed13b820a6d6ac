"""Which encoder embeds an index's queries — loaded without the build module, shared by every retriever that encodes.

Usage::

    from legalret.index.encoders import QueryEncoderSlot, load_query_encoder

    encoder = load_query_encoder(manifest["encoder"], where="index/")   # ONNX export when present, + query adapter
    slot = QueryEncoderSlot(lambda: load_query_encoder(manifest["encoder"], where="index/"))
    slot.get().encode_queries(["유치권"])                                # loaded on the first call, once

:func:`load_index_encoder` is the *passage* encoder an index was built with (checked against its fingerprint:
``index add`` and the searcher's explicit ``model=``/``adapter=``/``encoder=`` use it); :func:`load_query_encoder`
is what embeds queries (the ONNX export of that encoder when there is one — no torch at query time — wrapped
by the query adapter the manifest names). A :class:`QueryEncoderSlot` holds the one query encoder of a
searcher: the dense retriever and a dense precedent memory are both handed the slot, so the encoder is
loaded on the first query that needs it, by whichever retriever asks first.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from legalret.errors import IndexError_, ModelError

#: ``--model none``: an index without dense vectors.
NO_ENCODER = "none"


class QueryEncoderSlot:
    """One lazily loaded query encoder, shared by the retrievers of one searcher (``get()`` loads it once)."""

    def __init__(self, load: Callable[[], Any] | None = None, encoder: Any = None):
        self._load, self._encoder = load, encoder
        self._lock = threading.Lock()  # two server threads asking at once load it once

    @property
    def loaded(self) -> bool:
        return self._encoder is not None

    def get(self) -> Any:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None and self._load is not None:
                    self._encoder = self._load()
        return self._encoder

    def set(self, encoder: Any) -> None:
        """Use ``encoder`` from now on (benchmarks swap in an encoder variant)."""
        self._encoder = encoder


def split_adapter(adapter: str | Path | None):
    """``(lora_dir, None)`` or ``(None, QueryAdapter)`` by the adapter card's ``format`` (``(None, None)`` for none).

    A LoRA adapter changes the encoder (passages and queries); a query adapter maps query vectors only, so the
    passages are built with the base encoder and the map is recorded in the manifest for the searcher."""
    if adapter is None:
        return None, None
    from legalret.models.adapter import adapter_kind, resolve_adapter_dir

    adapter = resolve_adapter_dir(adapter)  # a shipped adapter by name, from any folder
    if adapter_kind(adapter) == "query":
        from legalret.models.query_adapter import QueryAdapter

        return None, QueryAdapter.load(adapter)
    return adapter, None



def check_requested_encoder(info: dict | None, model=None, adapter=None, encoder: Any = None, *,
                            where: Path | str = "index") -> None:
    """One line (:class:`IndexError_`), before anything is loaded, when what was asked for cannot be the encoder the
    index records (``info``: its manifest's ``encoder`` section, None for a BM25-only index) — the one check behind
    ``index add --model/--adapter``, the searcher's ``model=``/``adapter=``/``encoder=`` and
    :func:`load_index_encoder`:

    * ``--model none`` of an index with vectors (it had fallen through to the spec parser: "model spec 'none': no
      such directory");
    * a model, an adapter or an encoder of a BM25-only index;
    * a query adapter other than the one the index records.

    Another model spec or a LoRA adapter can only be told apart by its weights: :func:`load_index_encoder` loads it
    and compares fingerprints. An ``encoder`` given is used as it is (``model`` is then not read)."""
    asked_none = model is not None and str(model).strip().lower() == NO_ENCODER
    if info is None:
        asked = (f"--model {model}" if model is not None and not asked_none else
                 f"--adapter {adapter}" if adapter is not None else
                 "the encoder given" if encoder is not None else None)
        if asked is not None:
            build = f" --model {model}" if model is not None and not asked_none else ""
            raise IndexError_(
                f"{where}: the index has no encoder (built with --model none, BM25 only), and {asked} does not match "
                f"it; omit {asked.split()[0] if asked.startswith('--') else 'it'} (to add vectors, rebuild with "
                f"`legalret index build{build}`)"
            )
        return
    if asked_none and encoder is None:
        recorded = info.get("spec") or info.get("name") or info.get("fingerprint")
        raise IndexError_(
            f"{where}: the index's encoder is {recorded}, and --model {model} does not match it; omit --model to use "
            "the index's own (to drop the vectors, rebuild with `legalret index build --model none`)"
        )
    if adapter is not None:
        _, qadapter = split_adapter(adapter)
        if qadapter is not None:
            recorded = (info.get("query_adapter") or {}).get("fingerprint")
            if recorded != qadapter.fingerprint:
                # ("the index records none" had read as no adapter at all, of an index built with a LoRA adapter)
                lora = info.get("adapter") if not recorded else None
                records = (f"records query adapter {recorded}" if recorded else "records no query adapter"
                           + (f" (its passages were encoded with the LoRA adapter {lora})" if lora else ""))
                raise IndexError_(
                    f"{where}: query adapter mismatch — the index {records}, --adapter {adapter} is "
                    f"{qadapter.fingerprint}; omit --adapter to use the index's own (to change it, rebuild with "
                    "`legalret index build --adapter`)"
                )


def load_index_encoder(info: dict | None, *, model=None, adapter=None, encoder: Any = None, precision: str = "auto", where: Path | str = "index"):
    """The encoder an index was built with, checked against its fingerprint (used by add and the searcher).

    This is the *passage* encoder: a query adapter recorded in the manifest is not applied here (see
    :func:`load_query_encoder`); an ``adapter`` that is a query adapter must be the one the index records
    (:func:`check_requested_encoder`, which says first what cannot match)."""
    check_requested_encoder(info, model, adapter, encoder, where=where)
    if info is None:
        return None
    if adapter is not None:
        adapter, _ = split_adapter(adapter)  # a query adapter (checked above) leaves the passage encoder as it is
    if encoder is None:
        from legalret.models.encoder import load_encoder

        spec = model if model is not None else (info.get("spec") or info.get("name"))
        ad = adapter if adapter is not None else info.get("adapter")
        if ad is not None and not Path(ad).exists():
            ad = recorded_adapter_dir(ad, "adapter", where)  # (the fingerprint check below says if it is the same)
        encoder = load_encoder(spec, adapter=ad, precision=precision, passage_max_tokens=info.get("passage_max_tokens"))
    if encoder.fingerprint != info["fingerprint"]:
        raise IndexError_(
            f"{where}: encoder mismatch — index built with {info['fingerprint']}, requested {encoder.fingerprint}; "
            "use the index's encoder or rebuild with `legalret index build`"
        )
    if int(encoder.dim) != int(info["dim"]):
        raise IndexError_(f"{where}: encoder dimension {encoder.dim} != index dimension {info['dim']}")
    return encoder


def index_query_adapter(info: dict | None, where: Path | str = "index"):
    """The :class:`~legalret.models.query_adapter.QueryAdapter` an index's manifest names, or None."""
    section = (info or {}).get("query_adapter")
    if not section:
        return None
    from legalret.models.query_adapter import QueryAdapter

    recorded = Path(section["path"])
    path = recorded if recorded.exists() else recorded_adapter_dir(recorded, "query adapter", where)
    try:
        qa = QueryAdapter.load(path)
    except ModelError as e:
        raise IndexError_(f"{where}: {e}") from e
    if qa.fingerprint != section.get("fingerprint"):
        instead = f" (in place of {recorded}, which no longer exists)" if path != recorded else ""
        raise IndexError_(
            f"{where}: query adapter {path}{instead} is {qa.fingerprint}, the index was built with "
            f"{section.get('fingerprint')}; restore it or rebuild the index"
        )
    return qa


def recorded_adapter_dir(recorded: str | Path, what: str, where: Path | str = "index") -> Path:
    """The folder of an adapter an index recorded but which is gone: the adapter of that name shipped with this
    legalret (:func:`~legalret.models.adapter.resolve_adapter_dir`), else a one-line error. An index records the
    absolute path it was built with — quickstart's is ``<checkout>/legalret/adapters/me5-small-legal-qmap`` — so a
    checkout moved, re-cloned or deleted had left the index unusable though the same adapter ships with the package.
    The caller's fingerprint check decides whether the stand-in is the adapter the index was built with."""
    from legalret.models.adapter import resolve_adapter_dir

    try:
        return resolve_adapter_dir(recorded)
    except ModelError:
        raise IndexError_(f"{where}: the index was built with {what} {recorded}, which no longer exists") from None


#: The encoders whose missing export this process has said (a LiveSearcher reopens an index at every generation).
_SAID_NO_EXPORT: set[str] = set()


def _say_no_export(fingerprint: str, where: Path | str) -> None:
    """One note on stderr, once per encoder and process, that an index's queries are embedded by torch because
    ``$LEGALRET_HOME`` holds no ONNX export of its encoder — an index built under another home or copied in (the
    README's deployment: "ship the directory"). A cold CLI search then took 15–25 s instead of ~2, and an agent's first
    MCP search 52 s, with nothing said but "Building bundled:me5-small"; every surface (CLI, MCP, HTTP, Python) says
    it here, where the torch load starts."""
    if fingerprint in _SAID_NO_EXPORT:
        return
    _SAID_NO_EXPORT.add(fingerprint)
    from rich.markup import escape

    from legalret.models.onnx import export_root
    from legalret.progress import console

    console.print(f"[yellow]note:[/] no ONNX export of this index's query encoder under {escape(str(export_root()))}: "
                  f"queries are embedded by torch (slow to start); `legalret index export --index {escape(str(where))}` "
                  "writes one", highlight=False, soft_wrap=True)


def load_query_encoder(info: dict | None, *, model=None, adapter=None, encoder: Any = None, precision: str = "auto",
                       where: Path | str = "index"):
    """What embeds queries for an index: the ONNX export of its encoder when one exists and nothing else was asked
    for (no torch at query time), else :func:`load_index_encoder`'s — wrapped by the query adapter the manifest
    names (its map is applied in numpy after either). ``None`` for a BM25-only index. The searcher calls this."""
    base = None
    recorded = info is not None and encoder is None and model is None and adapter is None  # (nothing else asked for)
    if recorded:
        from legalret.models.onnx import OnnxQueryEncoder, find_export

        export = find_export(info["fingerprint"])
        if export is not None:
            onnx_enc = OnnxQueryEncoder.load(export)
            if onnx_enc.fingerprint == info["fingerprint"]:
                base = onnx_enc
    if base is None:
        if recorded:  # (said before the load: it is what takes the time)
            _say_no_export(info["fingerprint"], where)
        base = load_index_encoder(info, model=model, adapter=adapter, encoder=encoder, precision=precision, where=where)
    if base is None:
        return None
    from legalret.models.query_adapter import AdaptedQueryEncoder, wrap_query_encoder

    qa = index_query_adapter(info, where)
    if qa is None:
        return base.base if isinstance(base, AdaptedQueryEncoder) else base
    try:
        return wrap_query_encoder(base, qa)
    except ModelError as e:
        raise IndexError_(f"{where}: {e}") from e
