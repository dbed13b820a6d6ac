"""The hybrid's dense weight: the dev-tuned default, an adapter card's own weight, and the CLI override."""

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.cli import app  # noqa: E402
from legalret.search.fusion import default_fusion  # noqa: E402
from legalret.search.fusion import DEFAULT_DENSE_WEIGHT  # noqa: E402

SHIPPED = Path(__file__).resolve().parent.parent / "legalret" / "adapters" / "me5-small-legal"


def test_default_fusion_without_adapter_uses_the_dev_tuned_weight():
    assert default_fusion().weights == {"bm25": 1 - DEFAULT_DENSE_WEIGHT, "dense": DEFAULT_DENSE_WEIGHT}


def test_shipped_adapter_card_carries_its_own_dense_weight():
    card = json.loads((SHIPPED / "legalret_adapter.json").read_text(encoding="utf-8"))
    weights = default_fusion(SHIPPED).weights
    assert weights["dense"] == card["fusion"]["dense_weight"] != DEFAULT_DENSE_WEIGHT
    assert abs(weights["bm25"] + weights["dense"] - 1.0) < 1e-9


def test_cli_dense_weight_is_written_to_the_manifest(tmp_path):
    index = tmp_path / "idx"
    r = CliRunner().invoke(
        app, ["index", "build", str(sup.ARTICLES), "--index", str(index), "--model", str(sup.tiny_model_dir()), "--dense-weight", "0.8"]
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["index", "info", "--index", str(index), "--json"])
    info = json.loads(r.stdout)
    fusion = info.get("fusion") or info["manifest"]["fusion"]
    assert fusion["weights"] == {"bm25": 0.2, "dense": 0.8}
