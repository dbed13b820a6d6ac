"""The LoRA adapter card as a dataclass: old card files load unchanged, round trip through to_dict/write_card."""

import json
from pathlib import Path

import pytest

from legalret.errors import ModelError
from legalret.models.adapter import (
    CARD_NAME,
    LORA_FORMAT,
    LoraCard,
    adapter_kind,
    load_card,
    read_card,
    write_card,
)

SHIPPED = Path(__file__).resolve().parent.parent / "legalret" / "adapters" / "me5-small-legal"


def test_shipped_card_loads_and_round_trips(tmp_path):
    raw = json.loads((SHIPPED / CARD_NAME).read_text(encoding="utf-8"))
    card = load_card(SHIPPED)
    assert card.format == LORA_FORMAT and card.base["spec"] == "bundled:me5-small"
    assert card.data["train_pairs"] == raw["data"]["train_pairs"] and card.fingerprint == raw["fingerprint"]
    assert card.to_dict() == raw == read_card(SHIPPED)
    assert adapter_kind(SHIPPED) == "lora"
    write_card(tmp_path, card)
    assert json.loads((tmp_path / CARD_NAME).read_text(encoding="utf-8")) == raw
    assert "me5-small-legal" in (tmp_path / "README.md").read_text(encoding="utf-8")


def test_old_card_without_format_and_unknown_fields(tmp_path):
    old = {"name": "old", "base": {"spec": "bundled:me5-small"}, "fingerprint": "lora-x", "custom_note": {"a": 1}}
    (tmp_path / CARD_NAME).write_text(json.dumps(old), encoding="utf-8")
    card = load_card(tmp_path)
    assert card.format == LORA_FORMAT and card.extra == {"custom_note": {"a": 1}}
    assert card.to_dict()["custom_note"] == {"a": 1} and card.to_dict()["name"] == "old"
    assert adapter_kind(tmp_path) == "lora"
    with pytest.raises(ModelError, match="no base.spec"):
        LoraCard.from_dict({"name": "x"})
    with pytest.raises(ModelError, match="not a LoRA"):
        LoraCard.from_dict({"base": {"spec": "x"}, "format": "legalret-query-adapter-1"})
    (tmp_path / CARD_NAME).write_text("{broken", encoding="utf-8")
    with pytest.raises(ModelError, match="invalid JSON"):
        load_card(tmp_path)
