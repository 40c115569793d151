"""What a render step is: a function of one pydantic input model, cached under the hash of that model."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, field_serializer

from reel.hashing import sha256_file, sha256_text
from reel.plan import RenderPlan
from reel.settings import ReelSettings

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)
Progress = Callable[..., None]  # progress(done, total, unit='frame'), e.g. unit 'denoising step'


@dataclass(frozen=True)
class Step(Generic[In, Out]):
    name: str
    version: str  # bump when the step's code changes what it makes for the same inputs
    output: type[Out]
    prepare: Callable[[RenderPlan, ReelSettings, dict[str, Any]], In]  # plan + earlier artifacts -> input
    run: Callable[[In, Path, Progress], Out]  # input, file stem for its outputs, progress -> artifact
    device: Callable[[In], str] = lambda inputs: "cpu"

    def key(self, inputs: In) -> str:
        return sha256_text(self.name, self.version, inputs.model_dump_json(context={"cache_key": True}))[:32]


class EngineChoice(BaseModel):
    name: str
    version: str
    options: dict[str, Any]
    device: str = "cpu"
    unkeyed: list[str] = []  # options left out of cache keys (EngineOptions.UNKEYED)

    @field_serializer("options")
    def _keyed_options(self, options: dict[str, Any], info) -> dict[str, Any]:
        if info.context and info.context.get("cache_key"):
            return {name: value for name, value in options.items() if name not in self.unkeyed}
        return options


def files_intact(artifact: BaseModel) -> bool:
    """An artifact's file (where it has one) is still there with the content it was made with."""
    path, sha = getattr(artifact, "path", None), getattr(artifact, "sha256", None)
    return path is None or (Path(path).is_file() and sha256_file(Path(path)) == sha)


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
