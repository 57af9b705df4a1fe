"""navograph: Dutch government letters about NATO meetings -> an RDF knowledge graph."""
from __future__ import annotations

import os
from pathlib import Path

__version__ = "0.1.0"


def ontology_dir() -> Path:
    """The folder holding the vocabulary, catalogue, topic scheme, lexicon and shapes.

    ``NAVOGRAPH_ONTOLOGY`` overrides it; otherwise the project's ``ontology/``
    (an editable install) or the copy shipped as package data.
    """
    env = os.environ.get("NAVOGRAPH_ONTOLOGY")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for cand in (here.parent / "ontology", here / "data" / "ontology"):
        if cand.is_dir():
            return cand
    raise FileNotFoundError("no ontology folder found; set NAVOGRAPH_ONTOLOGY")


def project_dir() -> Path:
    return Path(__file__).resolve().parent.parent
