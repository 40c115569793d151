"""What every engine (speech engines, animators) shares: options from settings, a registry, load once.

An engine is a class with:
- ``name``: its registry name; ``Options``: a pydantic settings model read from ``REEL_<NAME>_<OPTION>``
  (``REEL_PORTRAIT_WARP_HEAD_MOTION=false``) and overridable per reel;
- ``is_installed()`` and ``version()``: class methods that never load weights;
- ``__init__(options)``: loads its models; the registry builds one instance per (engine, options)
  per process, so a batch of reels loads each model once.
"""

from __future__ import annotations

import functools
import importlib
import os
from typing import Any, ClassVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from reel.errors import EngineError


class EngineOptions(BaseSettings):
    """Base of every engine's options. An engine that runs on a GPU has a ``device`` option."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)
    # Options that cannot change what the engine makes (budgets, deadlines, polling): left out of cache
    # keys, so raising a budget does not make (and pay for) the same reel again.
    UNKEYED: ClassVar[frozenset[str]] = frozenset()


class Engine:
    """What engines share: the options they were built with; installed unless they say otherwise."""

    name: ClassVar[str]
    Options: ClassVar[type[EngineOptions]] = EngineOptions
    install_hint: ClassVar[str] = "pip install -e ."
    takes_directions: ClassVar[bool] = False  # animators: whether [visual: ...] directions steer the frames
    reports_progress: ClassVar[bool] = False  # animators: True when they report their own (slow) work, not frames
    license_note: ClassVar[str] = ""  # what the weights' licence allows, where a user must know before choosing

    def __init__(self, options: EngineOptions):
        self.options = options

    @classmethod
    def is_installed(cls) -> bool:
        return True

    @classmethod
    def check(cls, options: EngineOptions) -> None:
        """Fail fast, before any work, when the engine cannot run with ``options`` (e.g. weights missing)."""


def engine_device(options: EngineOptions) -> str:
    """Where an engine runs, from its options alone (no weights are loaded to answer)."""
    return str(getattr(options, "device", "cpu"))


def env_prefix(engine_name: str) -> str:
    return "REEL_" + engine_name.upper().replace("-", "_") + "_"


class EngineRegistry:
    """Engines of one kind: name -> "module:Class", imported when first used."""

    def __init__(self, kind: str, entries: dict[str, str]):
        self.kind, self.entries = kind, entries

    def names(self) -> list[str]:
        return sorted(self.entries)

    def engine_class(self, name: str) -> Any:
        if name not in self.entries:
            raise EngineError(f"unknown {self.kind} '{name}'; valid {self.kind}s: {', '.join(self.names())}")
        module_name, class_name = self.entries[name].split(":")
        return getattr(importlib.import_module(module_name), class_name)

    def options(self, name: str, overrides: dict | None = None) -> EngineOptions:
        """The engine's options: REEL_<NAME>_* from the environment, then ``overrides`` (from a script)."""
        options_class = self.engine_class(name).Options
        prefix = env_prefix(name)
        unknown = sorted(key for key in os.environ if key.startswith(prefix)
                         and key[len(prefix):].lower() not in options_class.model_fields)
        if unknown:
            valid = ", ".join(prefix + field.upper() for field in options_class.model_fields) or "none"
            raise EngineError(f"setting {unknown[0]} is not an option of the {self.kind} '{name}'; valid: {valid}")
        try:
            environment = options_class(_env_prefix=prefix)
            return options_class.model_validate({**environment.model_dump(), **(overrides or {})})
        except ValidationError as error:
            problem = error.errors()[0]
            field = ".".join(str(part) for part in problem["loc"])
            raise EngineError(f"option '{field}' of the {self.kind} '{name}' (setting {prefix}{field.upper()}) "
                              f"is invalid: {problem['msg']}") from error

    def load(self, name: str, options: EngineOptions | dict) -> Any:
        """The engine, loaded once per process per (name, options); ``options`` as a model or its values."""
        if isinstance(options, dict):
            options = self.engine_class(name).Options.model_validate(options)
        return _load(self, name, options)

    def version(self, name: str) -> str:
        return f"{name} {self.engine_class(name).version()}"


@functools.lru_cache(maxsize=16)
def _load(registry: EngineRegistry, name: str, options: EngineOptions) -> Any:
    engine_class = registry.engine_class(name)
    if not engine_class.is_installed():
        raise EngineError(f"the {registry.kind} '{name}' is not installed: {engine_class.install_hint}")
    return engine_class(options)
