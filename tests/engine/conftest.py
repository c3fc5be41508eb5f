"""Fixtures for the matching-engine tests (no Django, no DB)."""

from __future__ import annotations

import json

import pytest

from tests.engine.helpers import ENGINE_DIR


@pytest.fixture
def instance_schema():
    return json.loads((ENGINE_DIR / "instance.schema.json").read_text())


@pytest.fixture
def result_schema():
    return json.loads((ENGINE_DIR / "result.schema.json").read_text())
