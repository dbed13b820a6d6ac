"""Training pairs and benchmark query sets built from court decisions (see :mod:`legalret.pairs.build`).

>>> from legalret.pairs import build_pairs, write_pairs, build_from_sources
"""

from legalret.pairs.build import TEMPLATES, PairSet, build_from_sources, build_pairs, read_jsonl, write_pairs

__all__ = ["TEMPLATES", "PairSet", "build_from_sources", "build_pairs", "read_jsonl", "write_pairs"]
