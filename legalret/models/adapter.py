"""LoRA adapters for the sentence encoder: which layers get one, how it is saved with its card, how it is loaded.

An adapter directory holds the PEFT files plus legalret's own card::

    me5-small-legal/
      adapter_config.json          # PEFT LoraConfig (rank, alpha, target modules)
      adapter_model.safetensors    # the LoRA weights only (a few MB)
      legalret_adapter.json        # card: base spec + fingerprint, data fingerprint, hyper-parameters, dev metrics
      README.md                    # the same card for people

Usage::

    from legalret.models.encoder import load_encoder
    enc = load_encoder("bundled:me5-small", adapter="legalret/adapters/me5-small-legal")   # calls attach_adapter

    # or by hand on any SentenceTransformer built from the same base:
    from legalret.models.adapter import attach_adapter
    fingerprint = attach_adapter(st_model, "legalret/adapters/me5-small-legal", "bundled:me5-small")

Loading an adapter onto a different base than it was trained on raises :class:`~legalret.errors.ModelError`:
the LoRA deltas are only meaningful on the weights they were trained against.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from legalret.errors import ModelError

CARD_NAME = "legalret_adapter.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
#: PEFT's default adapter name: sentence-transformers reloads checkpoints (best model, --resume) under it.
ADAPTER_NAME = "default"

#: LoRA targets for BERT-family encoders (BERT, RoBERTa, XLM-R, ELECTRA share these module names): the attention
#: query/key/value and output projections and both feed-forward linears of every layer — not the pooler, which
#: mean-pooling sentence encoders never use (a LoRA there would be trained by nothing).
BERT_FAMILY_TARGETS = (
    r".*\.layer\.\d+\.(attention\.self\.(query|key|value)|attention\.output\.dense|intermediate\.dense|output\.dense)"
)
TARGET_MODULES = {
    "bert": BERT_FAMILY_TARGETS,
    "roberta": BERT_FAMILY_TARGETS,
    "xlm-roberta": BERT_FAMILY_TARGETS,
    "camembert": BERT_FAMILY_TARGETS,
    "electra": BERT_FAMILY_TARGETS,
}


@dataclass(frozen=True)
class LoraSettings:
    """LoRA hyper-parameters (the defaults are the card's recipe)."""

    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05


def model_type(st_model) -> str:
    return getattr(st_model.transformers_model.config, "model_type", "unknown")


def lora_config(st_model, settings: LoraSettings):
    """A :class:`peft.LoraConfig` targeting the attention and feed-forward linears of ``st_model``'s architecture."""
    from peft import LoraConfig

    kind = model_type(st_model)
    if kind not in TARGET_MODULES:
        raise ModelError(f"no LoRA target modules known for architecture {kind!r} (known: {', '.join(TARGET_MODULES)})")
    return LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=TARGET_MODULES[kind],
        bias="none",
    )


def add_lora(st_model, settings: LoraSettings) -> int:
    """Attach a fresh trainable LoRA adapter to ``st_model`` (base weights frozen). Returns the trainable parameter count."""
    config = lora_config(st_model, settings)
    st_model.add_adapter(config, adapter_name=ADAPTER_NAME)
    st_model.set_adapter(ADAPTER_NAME)
    trainable = sum(p.numel() for p in st_model.parameters() if p.requires_grad)
    if trainable == 0:
        raise ModelError("the LoRA adapter matched no modules of the model")
    return trainable


#: What a query adapter's folder holds (:mod:`legalret.models.query_adapter` names its weights file after this).
QUERY_WEIGHTS = "query_adapter.npy"


def _adapter_files(card: dict) -> set[str] | None:
    """The files an adapter of this card writes; None for a merged model (a whole sentence-transformers folder)."""
    if card.get("merged"):
        return None
    if card.get("format") == QUERY_FORMAT:
        return {CARD_NAME, QUERY_WEIGHTS, "README.md"}
    return {CARD_NAME, ADAPTER_CONFIG, ADAPTER_WEIGHTS, "README.md"}


def check_adapter_out(out: str | os.PathLike, *, kind: str = "", overwrite: bool = False,
                      inputs: tuple[str | os.PathLike | None, ...] = ()) -> Path:
    """``out`` as a folder a training run of ``kind`` (:data:`LORA_FORMAT` or :data:`QUERY_FORMAT`) may write its
    adapter to — the run replaces the whole folder. Absent, empty, or an adapter of the same kind and nothing else:
    written again. Refused (:class:`ModelError`) unless ``overwrite``: a folder of other things, an adapter of the
    other kind, an adapter folder that also holds other files (each had been replaced without a word: a folder of the
    user's files, a shipped LoRA adapter, notes kept beside an adapter). Refused always: a file, and a folder that is
    or holds one of the run's ``inputs`` (``--out`` the same as ``--pairs`` had deleted the pairs)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ModelError(f"{out}: a file, not a folder; choose another --out")
    above = next((p for p in out.parents if p.exists()), None)
    if above is not None and not above.is_dir():  # (found at the save, after the whole training run)
        raise ModelError(f"--out {out}: {above} is a file, not a folder; choose another --out")
    here = out.resolve()
    for source in inputs:
        if source is not None and (here == Path(source).resolve() or here in Path(source).resolve().parents):
            raise ModelError(f"--out {out} holds the run's input {source}: the adapter replaces the whole folder; "
                             "choose another --out")
    if not out.is_dir() or not any(out.iterdir()) or overwrite:
        return out
    what = "a LoRA adapter" if kind != QUERY_FORMAT else "a query adapter"
    card_path = out / CARD_NAME
    try:
        card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.is_file() else None
    except (OSError, ValueError):
        card = None
    if not isinstance(card, dict):
        raise ModelError(f"{out} exists and is not a legalret adapter: choose another --out or pass --overwrite")
    found = card.get("format") or LORA_FORMAT  # (a card written before the field existed is a LoRA card)
    if kind and found != kind:
        other = "a query adapter" if found == QUERY_FORMAT else "a LoRA adapter"
        raise ModelError(f"{out} holds {other}, and this run writes {what} over the whole folder: choose another "
                         "--out or pass --overwrite")
    own = _adapter_files(card)
    foreign = sorted(p.name for p in out.iterdir() if own is not None and p.name not in own)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise ModelError(f"{out} also holds files that are not the adapter's ({shown}): the run replaces the whole "
                         "folder; move them, choose another --out or pass --overwrite")
    return out


def file_fingerprint(paths: list[Path], length: int = 12) -> str:
    """sha256 over the named files' names and bytes (order-independent), truncated."""
    h = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        h.update(path.name.encode())
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:length]


def adapter_fingerprint(adapter_dir: Path) -> str:
    """``lora-<sha12>`` of the adapter's config and weights: changes whenever the adapter changes."""
    adapter_dir = Path(adapter_dir)
    return "lora-" + file_fingerprint([adapter_dir / ADAPTER_CONFIG, adapter_dir / ADAPTER_WEIGHTS])


LORA_FORMAT = "legalret-lora-1"
#: The card format of a query adapter (:mod:`legalret.models.query_adapter`, which imports this module, not the reverse).
QUERY_FORMAT = "legalret-query-adapter-1"


@dataclass
class LoraCard:
    """A LoRA adapter's card (``legalret_adapter.json``), as written by ``legalret train``.

    Old card files load as they are: fields this class does not name are kept in ``extra`` and written back by
    :meth:`to_dict`, and a card without ``format`` (written before the field existed) is a LoRA card.
    ``read_card`` still returns the plain dict (what existing callers index into); :func:`load_card` gives this."""

    name: str | None
    base: dict[str, Any]  # spec, name, kind, fingerprint, model_type, hidden_size
    format: str = LORA_FORMAT
    merged: bool = False
    fingerprint: str | None = None  # 'lora-<sha12>' of config + weights
    prompts: dict[str, Any] = field(default_factory=dict)
    preset: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    base_dev_metrics: dict[str, Any] = field(default_factory=dict)
    dev_metrics: dict[str, Any] = field(default_factory=dict)
    losses: list = field(default_factory=list)
    steps: int | None = None
    train_seconds: float | None = None
    pairs_per_second: float | None = None
    device: str | None = None
    trained_at: str | None = None
    reproduce: str | None = None
    fusion: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # any other field of the file, kept verbatim

    def to_dict(self) -> dict[str, Any]:
        """The card as the JSON file holds it (equal to what it was read from; a ``None`` fusion is left out)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        if out.get("fusion") is None:
            out.pop("fusion")
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = CARD_NAME) -> "LoraCard":
        if not isinstance(d.get("base"), dict) or "spec" not in d["base"]:
            raise ModelError(f"{where}: card has no base.spec")
        fmt = d.get("format", LORA_FORMAT)
        if fmt != LORA_FORMAT:
            raise ModelError(f"{where}: format {fmt!r} is not a LoRA adapter card ({LORA_FORMAT})")
        names = {f.name for f in fields(cls)} - {"extra"}
        known = {k: v for k, v in d.items() if k in names}
        known.setdefault("name", None)
        return cls(**known, extra={k: v for k, v in d.items() if k not in names})


#: The adapters shipped inside the package (``legalret/adapters/<name>``), usable by name from any folder.
SHIPPED_ADAPTERS = Path(__file__).resolve().parent.parent / "adapters"


def shipped_adapters() -> list[str]:
    """Names of the adapters shipped with legalret (``me5-small-legal``, ``me5-small-legal-qmap``)."""
    return sorted(p.name for p in SHIPPED_ADAPTERS.iterdir() if (p / CARD_NAME).is_file()) if SHIPPED_ADAPTERS.is_dir() else []


def resolve_adapter_dir(adapter: str | os.PathLike) -> Path:
    """The adapter directory a user means: a path that exists (relative to the current folder), else an adapter
    shipped with legalret named by itself (``"me5-small-legal-qmap"``) or by its path inside a checkout
    (``"legalret/adapters/me5-small-legal-qmap"``, what the README and old scripts write) — from any folder.

    >>> resolve_adapter_dir("me5-small-legal-qmap").name
    'me5-small-legal-qmap'
    """
    path = Path(adapter).expanduser()
    if path.is_dir():
        return path
    shipped = SHIPPED_ADAPTERS / path.name
    if path.name and shipped.is_dir() and (len(path.parts) == 1 or path.parts[-2:] == ("adapters", path.name)):
        return shipped
    names = ", ".join(shipped_adapters()) or "none"
    raise ModelError(f"adapter {os.fspath(adapter)!r}: no such directory (looked in {Path.cwd()}), and no adapter "
                     f"shipped with legalret has that name (shipped: {names})")


def read_card_json(adapter_dir: Path) -> dict[str, Any]:
    """The raw JSON object of an adapter's card (LoRA or query adapter), or :class:`ModelError` saying what is off."""
    if not adapter_dir.is_dir():
        raise ModelError(f"adapter directory {adapter_dir} does not exist")
    card_path = adapter_dir / CARD_NAME
    if not card_path.is_file():
        raise ModelError(f"{adapter_dir} is not a legalret adapter: {CARD_NAME} is missing")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ModelError(f"{card_path}: invalid JSON ({e})") from e
    if not isinstance(card, dict):
        raise ModelError(f"{card_path}: the card is not a JSON object")
    return card


def adapter_kind(adapter_dir: str | Path) -> str:
    """``'lora'`` or ``'query'`` by the card's ``format`` (a card without one is an old LoRA card); a
    :class:`ModelError` for a missing card or an unknown format. Index builds dispatch on this."""
    adapter_dir = resolve_adapter_dir(adapter_dir)
    fmt = read_card_json(adapter_dir).get("format", LORA_FORMAT)
    if fmt == LORA_FORMAT:
        return "lora"
    if fmt == QUERY_FORMAT:
        return "query"
    raise ModelError(f"{adapter_dir / CARD_NAME}: unknown adapter format {fmt!r} (known: {LORA_FORMAT}, {QUERY_FORMAT})")


def load_card(adapter_dir: str | Path) -> LoraCard:
    """The LoRA card of ``adapter_dir`` as a :class:`LoraCard` (old card files included)."""
    adapter_dir = Path(adapter_dir)
    return LoraCard.from_dict(read_card_json(adapter_dir), where=str(adapter_dir / CARD_NAME))


def read_card(adapter_dir: str | Path) -> dict[str, Any]:
    """The adapter's ``legalret_adapter.json``, or :class:`ModelError` saying what is missing."""
    adapter_dir = Path(adapter_dir)
    card = read_card_json(adapter_dir)
    if not isinstance(card.get("base"), dict) or "spec" not in card["base"]:
        raise ModelError(f"{adapter_dir / CARD_NAME}: card has no base.spec")
    return card


def _base_names(card: dict[str, Any]) -> set[str]:
    base = card["base"]
    return {n for n in (base.get("spec"), base.get("name")) if n}


def attach_adapter(st_model, adapter_dir: str | Path, base_spec_name: str, *, base_fingerprint: str | None = None) -> str:
    """Load the LoRA adapter in ``adapter_dir`` onto ``st_model`` and activate it; return the adapter fingerprint.

    ``base_spec_name`` is the spec the caller loaded ``st_model`` from (``ModelSpec.name`` or the spec string);
    it must be the base the adapter was trained on, else :class:`ModelError`. When ``base_fingerprint`` is given it
    must match the card's too (same name but different weights, e.g. a rebuilt bundle). The model's architecture
    and hidden size are checked against the card as well, so a renamed base is caught.
    """
    adapter_dir = resolve_adapter_dir(adapter_dir)
    card = read_card(adapter_dir)
    if adapter_kind(adapter_dir) != "lora":
        raise ModelError(
            f"{adapter_dir} is a query adapter (a map on query vectors), not a LoRA adapter: pass it to "
            "`legalret index build --adapter`, which builds passages with the base encoder"
        )
    if card.get("merged"):
        raise ModelError(f"{adapter_dir} holds a merged model, not an adapter: load it as a model (--model local:{adapter_dir})")
    names = _base_names(card)
    if base_spec_name not in names:
        raise ModelError(
            f"adapter {adapter_dir} was trained on base {card['base']['spec']!r}, not {base_spec_name!r}: "
            f"load it with --model {card['base']['spec']}"
        )
    expected_fp = card["base"].get("fingerprint")
    if base_fingerprint and expected_fp and base_fingerprint != expected_fp:
        raise ModelError(
            f"adapter {adapter_dir} was trained on base {card['base']['spec']!r} with fingerprint {expected_fp}, "
            f"but the loaded base has fingerprint {base_fingerprint} (the base model changed): retrain the adapter"
        )
    config = st_model.transformers_model.config
    for attr, actual in (("model_type", config.model_type), ("hidden_size", getattr(config, "hidden_size", None))):
        expected = card["base"].get(attr)
        if expected is not None and expected != actual:
            raise ModelError(f"adapter {adapter_dir} expects a base with {attr}={expected!r}, the model has {actual!r}")
    for required in (ADAPTER_CONFIG, ADAPTER_WEIGHTS):
        if not (adapter_dir / required).is_file():
            raise ModelError(f"adapter {adapter_dir} is incomplete: {required} is missing")
    fingerprint = adapter_fingerprint(adapter_dir)
    if card.get("fingerprint") and card["fingerprint"] != fingerprint:
        raise ModelError(f"adapter {adapter_dir}: weights do not match the card's fingerprint {card['fingerprint']} (edited or corrupted)")
    try:
        st_model.load_adapter(str(adapter_dir), adapter_name=ADAPTER_NAME)
        st_model.set_adapter(ADAPTER_NAME)
    except (RuntimeError, ValueError, KeyError) as e:  # shape mismatches and the like from peft
        from legalret.doctor import explain_failure

        skew = explain_failure(e)  # a library version skew is not the adapter's fault: say so
        raise ModelError(skew or f"adapter {adapter_dir} does not fit the base model: {e}") from e
    st_model.eval()
    return fingerprint


def merge_lora(model, adapter_names: list[str] | None = None) -> int:
    """Fold the active LoRA weights into the base weights (``W += B·A·scale``), in place; returns the layers
    merged (the one LoRA merge: the encoder for search and the trainer's merged export both use it).

    An encoder loaded for search never trains, and unmerged LoRA adds two small matrix products per adapted
    layer to every forward pass: on the full index's query path that was 28 ms instead of 20 ms per query.
    Merging happens before any bf16 cast, so the sum is exact in fp32."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    merged = 0
    for module in model.modules():
        if isinstance(module, BaseTunerLayer) and not module.merged:
            module.merge(adapter_names=adapter_names)
            merged += 1
    return merged


def save_adapter(st_model, out_dir: Path, *, base_name: str | None = None) -> None:
    """Write only the LoRA files (config + weights) of ``st_model``'s active adapter to ``out_dir``.

    ``base_name`` replaces the PEFT config's ``base_model_name_or_path`` (a machine-local cache path otherwise).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    # transformers saves only the active adapter's weights (PEFT format) when a PEFT config is loaded.
    st_model.set_adapter(ADAPTER_NAME)
    st_model.transformers_model.save_pretrained(str(out_dir))
    if base_name:
        config_path = out_dir / ADAPTER_CONFIG
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config["base_model_name_or_path"] = base_name
        config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for required in (ADAPTER_CONFIG, ADAPTER_WEIGHTS):
        if not (out_dir / required).is_file():
            raise ModelError(f"saving the adapter did not write {required} in {out_dir}")


def write_card(out_dir: Path, card: "LoraCard | dict[str, Any]") -> None:
    """Write ``legalret_adapter.json`` and a human ``README.md`` describing the adapter."""
    if isinstance(card, LoraCard):
        card = card.to_dict()
    (out_dir / CARD_NAME).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / "README.md").write_text(render_card(card), encoding="utf-8")


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def render_card(card: dict[str, Any]) -> str:
    base, hp, data = card["base"], card.get("hyperparameters", {}), card.get("data", {})
    lines = [
        f"# {card.get('name', 'legalret adapter')}",
        "",
        "A LoRA adapter for a legalret sentence encoder, trained by `legalret train` on (precedent holding → cited "
        "민법/상법 article) pairs.",
        "",
        f"- base: `{base['spec']}` (fingerprint `{base.get('fingerprint')}`, {base.get('model_type')}, hidden {base.get('hidden_size')})",
        f"- adapter fingerprint: `{card.get('fingerprint')}`" + ("  (merged into a full model)" if card.get("merged") else ""),
        f"- training data: `{data.get('pairs_dir')}` fingerprint `{data.get('fingerprint')}`, "
        f"{data.get('train_pairs')} pairs used, decisions before {data.get('train_date_cutoff')} "
        f"(latest: {data.get('latest_train_decision')})",
        f"- trained: {card.get('trained_at')} in {card.get('train_seconds', 0):.0f} s on {card.get('device')}",
        "",
        "## Hyper-parameters",
        "",
        *[f"- {k}: `{v}`" for k, v in hp.items()],
        "",
        f"## Dev metrics (InformationRetrievalEvaluator, dev split 2020–2022: {data.get('eval_queries')} sampled queries "
        f"over {data.get('eval_corpus')} passages — gold articles plus random others, so higher than full-corpus scores)",
        "",
        "| metric | base | with adapter |",
        "|---|---|---|",
        *[f"| {k.removeprefix('dev_cosine_')} | {_fmt(card.get('base_dev_metrics', {}).get(k))} | {_fmt(v)} |"
          for k, v in card.get("dev_metrics", {}).items() if "precision" not in k],
        "",
        "## Use",
        "",
        "```",
        f"legalret index build --model {base['spec']} --adapter <this directory>",
        "```",
        "",
        "Rebuild with the command in `reproduce` of legalret_adapter.json.",
        "",
    ]
    if card.get("reproduce"):
        lines[-3:-3] = ["", "```", card["reproduce"], "```"]
    return "\n".join(lines)
