"""Guards against the ways contrastive fine-tuning silently goes wrong.

Every check here either raises :class:`~legalret.errors.TrainingError` with a message that says what to fix,
or (for the soft ones) logs a loud warning. They exist because the reference models this project replaces
failed in exactly these ways:

* a text column that held source names / ids instead of sentences (the model learned to match file names),
* ``MultipleNegativesRankingLoss(scale=0.05)`` on cosine similarity: logits in ``[-0.05, 0.05]`` make the
  softmax uniform, the loss sits at ``ln(batch size)`` for the whole epoch and nothing is learned,
* NaN metrics from the evaluator accepted as "best model",
* a few hundred pairs trained for an epoch and shipped.

Usage::

    from legalret.train import guards
    guards.check_text_columns(rows, ["query", "positive"], source="pairs/train.jsonl")
    guards.check_loss_scale(20.0)
    guards.check_min_pairs(len(rows), minimum=500, force=False)
    trainer.add_callback(guards.StuckLossCallback(batch_size=16))
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from transformers import TrainerCallback

from legalret.errors import TrainingError
from legalret.progress import console

log = logging.getLogger(__name__)

#: Fewer training pairs than this is refused unless forced: an adapter from a few hundred pairs overfits and is
#: indistinguishable from noise on dev.
MIN_PAIRS = 500

#: A column fails when more than this share of its values look like ids / source names instead of sentences.
ID_LIKE_MAX_SHARE = 0.2
#: A column fails when more than this share of its values look like mojibake.
MOJIBAKE_MAX_SHARE = 0.01
#: The loss counts as "stuck at chance" when within this relative distance of ln(#candidates).
STUCK_RELATIVE_TOLERANCE = 0.05

_ID_LIKE = re.compile(
    r"""^(
        [\d\s\-_.:/#]+                              # numbers, dates, serials
      | [\w\-.]+\.(md|json|jsonl|txt|zip|xml|csv)     # file names
      | [\w\-.]*[/\\][\w\-./\\]+                      # paths
      | [A-Za-z0-9_\-]{1,40}                          # one ascii token: an id, a slug
    )$""",
    re.VERBOSE,
)


def warn(message: str) -> None:
    """A loud warning: logged and printed in bold on stderr (it must not scroll past unseen)."""
    log.warning(message)
    console.print(f"[bold yellow]WARNING:[/] {message}", highlight=False)


def looks_like_identifier(text: str) -> bool:
    """True for values that are ids, serials, file names or paths rather than sentences.

    >>> looks_like_identifier("precedent-kr/민사/대법원/2019다12345.md"), looks_like_identifier("2019다12345")
    (True, True)
    >>> looks_like_identifier("점유자가 점유물에 대하여 행사하는 권리는 적법하게 보유한 것으로 추정한다.")
    False
    """
    t = text.strip()
    if not t:
        return False
    if _ID_LIKE.match(t):
        return True
    # A single short token without spaces ("2019다12345", "민법194") is a key or case number, not a passage.
    return " " not in t and len(t) <= 20


def _mojibake_detector():
    from legalret.ingest.mojibake import looks_like_mojibake  # lazy: the repair model is not needed here

    return looks_like_mojibake


def check_text_columns(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    source: str,
    min_chars: int = 4,
) -> None:
    """Validate that each of ``columns`` holds real, non-empty sentences in every row.

    Raises :class:`TrainingError` naming the file, line (1-based row number) and column for: a missing column,
    a non-string or empty value, a column where many values look like ids / source names / file names instead
    of sentences, or text with mojibake.
    """
    if not rows:
        raise TrainingError(f"{source}: no rows")
    looks_like_mojibake = _mojibake_detector()
    for column in columns:
        id_like: list[int] = []
        broken: list[int] = []
        for line, row in enumerate(rows, start=1):
            if column not in row:
                raise TrainingError(f"{source}:{line}: column {column!r} is missing (row has {sorted(row)})")
            value = row[column]
            if not isinstance(value, str):
                raise TrainingError(f"{source}:{line}: {column}: expected text, got {type(value).__name__} {value!r:.60}")
            if len(value.strip()) < min_chars:
                raise TrainingError(f"{source}:{line}: {column}: empty or too short text {value!r}")
            if looks_like_identifier(value):
                id_like.append(line)
            if looks_like_mojibake(value):
                broken.append(line)
        n = len(rows)
        if len(id_like) > ID_LIKE_MAX_SHARE * n:
            first = id_like[0]
            raise TrainingError(
                f"{source}:{first}: {column}: {len(id_like)}/{n} values look like ids or source names, not sentences "
                f"(e.g. {rows[first - 1][column]!r:.80}) — is the wrong field mapped to {column!r}?"
            )
        if len(broken) > MOJIBAKE_MAX_SHARE * n:
            first = broken[0]
            raise TrainingError(
                f"{source}:{first}: {column}: {len(broken)}/{n} values look like mojibake "
                f"(e.g. {rows[first - 1][column]!r:.80}) — repair the text (legalret fix-text) before training"
            )
        if broken:
            warn(f"{source}: {column}: {len(broken)} value(s) look like mojibake, first at line {broken[0]}")


def check_loss_scale(scale: float, similarity: str = "cosine") -> None:
    """Refuse a temperature that makes cosine MNRL unable to learn.

    With cosine similarity the logits are ``scale * cos`` in ``[-scale, scale]``; with ``scale < 1`` the softmax
    over the batch is nearly uniform and the loss stays at ``ln(batch size)``. 20 (temperature 0.05) is the usual value.
    """
    if not math.isfinite(scale) or scale <= 0:
        raise TrainingError(f"loss scale must be a positive number, got {scale}")
    if similarity == "cosine" and scale < 1:
        raise TrainingError(
            f"loss scale {scale} is far too small for cosine similarity: the softmax is flat and the loss stays at "
            f"ln(batch size). Use a scale around 20 (scale = 1/temperature; 0.05 is a temperature, not a scale)."
        )
    if similarity == "cosine" and scale > 100:
        warn(f"loss scale {scale} is very large for cosine similarity (usual: 20); training may be unstable")


def check_min_pairs(n_pairs: int, *, minimum: int = MIN_PAIRS, force: bool = False) -> None:
    """Refuse to train on fewer than ``minimum`` pairs unless ``force`` (then only warn)."""
    if n_pairs >= minimum:
        return
    message = f"only {n_pairs} training pairs (minimum {minimum}); an adapter from so few pairs is noise"
    if not force:
        raise TrainingError(message + " — pass --force to train anyway")
    warn(message + " (forced)")


def check_splits(train_case_nos: Iterable[str | None], dev_case_nos: Iterable[str | None], *, n_dev_queries: int) -> None:
    """The dev split must be non-empty and share no precedent (case number) with train."""
    if n_dev_queries == 0:
        raise TrainingError("the dev split is empty: cannot select or report a model without dev queries")
    train_set = {c for c in train_case_nos if c}
    dev_set = {c for c in dev_case_nos if c}
    leaked = sorted(train_set & dev_set)
    if leaked:
        raise TrainingError(
            f"{len(leaked)} precedent(s) are in both train and dev (e.g. {', '.join(leaked[:3])}): "
            f"the dev score would be inflated — rebuild the pairs with a date split"
        )


def check_train_dates(decided: Iterable[str | None], *, cutoff: str, source: str) -> None:
    """Every dated training pair must be decided before ``cutoff`` (ISO date); undated (synthetic) pairs pass."""
    late = [d for d in decided if d and d >= cutoff]
    if late:
        raise TrainingError(f"{source}: {len(late)} training pair(s) decided on/after {cutoff} (e.g. {late[0]}): data leak")


def check_weights_finite(model: Any) -> None:
    """Fail when a weight is NaN or infinite (a diverged run whose logged losses stayed finite: ``--lr inf``): its
    adapter would embed every text as NaN. Every parameter is read (~0.1 s for a small encoder's)."""
    import torch

    with torch.no_grad():
        bad = [name for name, p in model.named_parameters() if not bool(torch.isfinite(p).all())]
    if bad:
        raise TrainingError(f"{len(bad)} trained weight tensor(s) hold NaN or infinite values (first: {bad[0]}): the "
                            "run diverged (lower --lr?) — nothing written")


def check_metrics_finite(metrics: Mapping[str, Any], *, where: str = "evaluation") -> None:
    """Fail on NaN / infinite metric values (a NaN 'best' score silently picks an arbitrary checkpoint)."""
    bad = {k: v for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)}
    if bad:
        raise TrainingError(f"{where} produced non-finite metrics: {bad} — the model or the loss diverged")


def chance_loss(n_candidates: int) -> float:
    """Cross-entropy of a uniform guess among ``n_candidates`` passages: the loss of a model that learned nothing."""
    return math.log(max(n_candidates, 2))


class StuckLossCallback(TrainerCallback):
    """Stop (or warn) when the training loss stays within ~5 % of ``ln(#candidates)`` after warm-up.

    ``n_candidates`` is the number of passages each query is scored against: the batch size for plain in-batch
    negatives, ``batch × (1 + hard negatives)`` with hard negatives. ``patience`` consecutive logged losses near that
    value after ``warmup_steps`` trigger it; ``action='stop'`` raises :class:`TrainingError`, ``'warn'`` only warns.
    """

    def __init__(self, n_candidates: int, *, warmup_steps: int = 20, patience: int = 3, action: str = "stop",
                 tolerance: float = STUCK_RELATIVE_TOLERANCE):
        if action not in ("stop", "warn"):
            raise ValueError("action must be 'stop' or 'warn'")
        self.chance = chance_loss(n_candidates)
        self.warmup_steps, self.patience, self.action, self.tolerance = warmup_steps, patience, action, tolerance
        self.near_chance = 0
        self.fired = False

    def on_log(self, args, state, control, logs=None, **kwargs):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        if not math.isfinite(loss):
            raise TrainingError(f"training loss became {loss} at step {state.global_step}: diverged (lower --lr?)")
        if state.global_step < self.warmup_steps:
            return
        if abs(loss - self.chance) <= self.tolerance * self.chance:
            self.near_chance += 1
        else:
            self.near_chance = 0
        if self.near_chance >= self.patience and not self.fired:
            self.fired = True
            message = (
                f"training loss {loss:.3f} has stayed at chance level ln(candidates) = {self.chance:.3f} for "
                f"{self.near_chance} logs after step {self.warmup_steps}: the model is not learning "
                f"(loss scale too small? learning rate zero? labels shuffled?)"
            )
            if self.action == "stop":
                control.should_training_stop = True
                raise TrainingError(message)
            warn(message)


class FiniteMetricsCallback(TrainerCallback):
    """Raise :class:`TrainingError` as soon as an evaluation reports a NaN / infinite metric."""

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        check_metrics_finite(metrics or {}, where=f"evaluation at step {state.global_step}")
