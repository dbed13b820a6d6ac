"""Corpora: manifests (which laws) and pulling their statutes from a mirror, GitHub or law.go.kr.

Usage::

    from legalret.corpus import load_manifest, pull

    result = pull(["civil-commercial"], out="corpus.jsonl")            # local mirror (default)
    result = pull(["민법"], source="github", out="civil.jsonl")         # legalize-kr over HTTPS
    result = pull(["상법"], source="lawgo", oc="my-key", out="c.jsonl")  # law.go.kr lawService API
"""

from legalret.corpus.manifest import Manifest, list_manifests, load_manifest
from legalret.corpus.pull import HttpClient, NothingPulled, PullResult, pull, resolve_targets

__all__ = ["HttpClient", "Manifest", "NothingPulled", "PullResult", "list_manifests", "load_manifest", "pull",
           "resolve_targets"]
