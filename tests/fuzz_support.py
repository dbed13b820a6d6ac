"""What the fuzz tests share: example counts (fixed seeds in CI, more and random for the robustness
benchmark) and the tally of inputs tried that ``benchmarks/robustness.py`` reads.

``LEGALRET_FUZZ_EXAMPLES`` — examples per property (unset: the file's fixed-seed default);
``LEGALRET_FUZZ_COUNT_FILE`` — where the tally of inputs tried per target is merged at exit."""

from __future__ import annotations

import atexit
import json
import os
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("LEGALRET_FUZZ_EXAMPLES") or 0)
TRIED: Counter = Counter()


@atexit.register
def _write_counts() -> None:
    path = os.environ.get("LEGALRET_FUZZ_COUNT_FILE")
    if not path or not TRIED:
        return
    counts = Counter(json.loads(Path(path).read_text()) if Path(path).exists() else {})
    counts.update(TRIED)
    Path(path).write_text(json.dumps(counts, ensure_ascii=False))


def fuzz_settings(default_examples: int, *health_checks: HealthCheck) -> settings:
    """Hypothesis settings: ``default_examples`` derandomized in CI, or the benchmark's count at random."""
    return settings(max_examples=EXAMPLES or default_examples, deadline=None, derandomize=not EXAMPLES,
                    database=None, suppress_health_check=[HealthCheck.too_slow, *health_checks])
