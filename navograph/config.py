"""Load the extraction rules kept as data in ``ontology/extraction.yaml``."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from . import ontology_dir


class ConfigError(ValueError):
    pass


@functools.lru_cache(maxsize=8)
def _load(path: str) -> dict[str, Any]:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{p}: missing") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping at the top level")
    return data


def extraction_config(path: Path | None = None) -> dict[str, Any]:
    return _load(str(path or ontology_dir() / "extraction.yaml"))
