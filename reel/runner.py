"""How the CLI runs a step: a content-addressed record per (step, key) in the cache folder.

The Prefect flows run the same steps through their own runner (flows/stages.py), which caches each
as a Prefect task under the same key.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ValidationError

from reel.fsutil import write_text_atomic
from reel.steps import Progress, Step, files_intact


class LocalRunner:
    """Runs a step unless ``cache_dir`` holds its artifact for the same key, with its file intact."""

    def __init__(self, cache_dir: Path):
        self.cache_dir = cache_dir

    def __call__(self, step: Step, inputs: BaseModel, progress: Progress) -> BaseModel:
        key = step.key(inputs)
        record = self.cache_dir / "steps" / step.name / f"{key}.json"
        cached = self._load(step, record)
        if cached is not None:
            return cached
        artifact = step.run(inputs, self.cache_dir / step.name / key, progress)
        write_text_atomic(record, artifact.model_dump_json())
        return artifact

    @staticmethod
    def _load(step: Step, record: Path) -> BaseModel | None:
        try:
            artifact = step.output.model_validate_json(record.read_text(encoding="utf-8"))
        except (OSError, ValueError, ValidationError):
            return None
        return artifact if files_intact(artifact) else None


def run_step(step: Step, inputs: BaseModel, cache_dir: Path) -> BaseModel:
    """One step through the local cache, outside a render (tools, benchmarks, `reel evaluate`)."""
    return LocalRunner(cache_dir)(step, inputs, lambda done, total: None)
