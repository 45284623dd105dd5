"""Train a model only when the training inputs changed.

The model file is named after a fingerprint of everything that goes into training, so
"is there a model for the current data?" is a file-exists check. The business profile is
deliberately left out: its facts are read at answer time, so editing an opening hour
needs no retraining.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from bot import PROJECT_ROOT

logger = logging.getLogger(__name__)

MODELS_DIR = PROJECT_ROOT / "models"
_EXCLUDED_DATA = {"business_profile.yml"}


def training_inputs(root: Path = PROJECT_ROOT) -> list[Path]:
    """Files whose content determines the trained model."""
    files = [root / "config.yml", *sorted((root / "domain").rglob("*.yml"))]
    files += sorted(
        p
        for p in (root / "data").rglob("*")
        if p.is_file()
        and p.suffix in {".yml", ".yaml", ".json", ".jsonl", ".txt"}
        and p.name not in _EXCLUDED_DATA
    )
    # Custom NLU components change what the model computes.
    files += sorted((root / "bot" / "nlp").rglob("*.py"))
    return [f for f in files if f.exists()]


def fingerprint(files: Iterable[Path], root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def training_data_paths(root: Path = PROJECT_ROOT) -> list[str]:
    """Data files Rasa should read: everything in data/ except non-training YAML."""
    return [
        str(p)
        for p in sorted((root / "data").rglob("*.yml"))
        if p.name not in _EXCLUDED_DATA and "entities" not in p.relative_to(root / "data").parts
    ]


def train_model(
    output_dir: Path,
    fixed_model_name: str,
    root: Path = PROJECT_ROOT,
    config_path: Path | None = None,
) -> Path:
    """Train the full model (NLU + core) into ``output_dir/fixed_model_name.tar.gz``."""
    from rasa.model_training import train

    output_dir.mkdir(parents=True, exist_ok=True)
    result = train(
        domain=str(root / "domain"),
        config=str(config_path or root / "config.yml"),
        training_files=training_data_paths(root),
        output=str(output_dir),
        fixed_model_name=fixed_model_name,
        force_training=True,
    )
    if result.code != 0 or not result.model:
        raise RuntimeError(f"Rasa training failed with code {result.code}")
    return Path(result.model)


def model_path_for_current_data(root: Path = PROJECT_ROOT) -> Path:
    return MODELS_DIR / f"assistant-{fingerprint(training_inputs(root), root)}.tar.gz"


def train_if_needed(force: bool = False) -> Path:
    path = model_path_for_current_data()
    if path.exists() and not force:
        logger.info("Model %s matches the current training data.", path.name)
        return path
    logger.info("Training %s (this takes a few minutes on 2 cores) ...", path.name)
    return train_model(MODELS_DIR, path.name[: -len(".tar.gz")])
