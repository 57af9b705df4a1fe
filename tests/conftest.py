"""Shared fixtures: the seeds, their gold, one analyser and one built store per test session."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = ROOT / "gold"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def gold_dir() -> Path:
    return GOLD


@pytest.fixture(scope="session")
def analyser():
    """Catalogue + blank Dutch pipeline (the path every machine has)."""
    from navograph.pipeline import Analyser

    return Analyser(use_default_model=False)


@pytest.fixture(scope="session")
def seed_letters(analyser):
    """doc id -> (SourceDocument, Letter) for the five seeds."""
    from navograph.ingest import read_document

    out = {}
    for p in sorted(SEEDS.glob("*.txt")):
        src = read_document(p)
        out[src.doc_id] = (src, analyser.letter(src))
    return out


@pytest.fixture(scope="session")
def seeds_store(tmp_path_factory):
    """A store built from the seeds with the real pipeline (validated), read-only for tests."""
    from navograph.pipeline import build

    path = tmp_path_factory.mktemp("seeds-store") / "store"
    result = build([SEEDS], path, validate=True, use_default_model=False)
    assert not result.failed, result.failed
    return path, result
