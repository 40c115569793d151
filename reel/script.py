"""Script intake: YAML or Markdown-with-front-matter files -> validated ``Script``."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from reel.errors import ScriptError
from reel.models import CAMERA_MOVES, Script
from reel.settings import Limits, load_settings
from reel.yamlsafe import describe_error, load_yaml

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)(.*)\Z", re.DOTALL)
_CAMERA_DIRECTIVE = re.compile(r"^\[camera:\s*([a-z-]+)\s*\]\s*", re.IGNORECASE)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def load_script(path: Path, limits: Limits | None = None) -> Script:
    """Read and validate a script file (.yaml/.yml or .md); ``limits``: default REEL_MAX_*."""
    limits = limits or load_settings().limits
    return _validate(_read_mapping(path, limits), str(path), limits)


def script_from_markdown(text: str, fields: dict, name: str = "form", limits: Limits | None = None) -> Script:
    """A script from a Markdown voiceover (camera and punch marks allowed) plus front-matter fields
    (as a form in the Prefect UI sends them)."""
    limits = limits or load_settings().limits
    _require_size(len(text.encode("utf-8")), name, limits)
    data = dict(fields)
    data["voiceover"] = [_markdown_paragraph(p, Path(name)) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return _validate(data, name, limits)


def _validate(data: dict, name: str, limits: Limits) -> Script:
    try:
        return Script.model_validate(data, context={"limits": limits})
    except ValidationError as error:
        raise ScriptError(f"script {name}: {_first_problem(error)}") from error


def _require_size(size: int, name: str, limits: Limits) -> None:
    if size > limits.script_bytes:
        raise ScriptError(f"script {name} is {size} bytes; at most {limits.script_bytes} (REEL_MAX_SCRIPT_BYTES): "
                          "a reel's script is a few kilobytes of text")


def require_approved(script: Script, allow_unapproved: bool) -> None:
    if not script.is_approved and not allow_unapproved:
        raise ScriptError(
            f"script '{script.id}' is {script.approval.status}, not approved: have a reviewer approve it "
            "(approval.status: approved) or pass --allow-unapproved for a draft render"
        )


def require_length(script: Script, platform: str, max_seconds: float) -> None:
    estimate = script.estimated_seconds
    if estimate > max_seconds:
        raise ScriptError(
            f"script '{script.id}' runs about {estimate:.0f} s ({len(script.words)} words) but {platform} "
            f"allows at most {max_seconds:.0f} s: shorten the voiceover"
        )


def _read_mapping(path: Path, limits: Limits) -> dict:
    try:
        _require_size(path.stat().st_size, str(path), limits)
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ScriptError(f"script file not found: {path} (check the path)") from error
    except IsADirectoryError as error:
        raise ScriptError(f"script path is a directory, not a file: {path}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ScriptError(f"cannot read script {path}: {error} (it must be UTF-8 text)") from error

    if path.suffix.lower() in {".md", ".markdown"}:
        return _parse_markdown(raw, path, limits)
    if path.suffix.lower() in {".yaml", ".yml"}:
        return _parse_yaml(raw, path, limits)
    raise ScriptError(f"script {path} has an unknown extension: use .yaml, .yml or .md")


def _parse_yaml(raw: str, path: Path, limits: Limits) -> dict:
    try:
        data = load_yaml(raw, limits.yaml_depth)
    except yaml.YAMLError as error:
        raise ScriptError(f"invalid YAML in {path}{describe_error(error)}") from error
    if not isinstance(data, dict):
        raise ScriptError(f"script {path} must be a YAML mapping with id, title, avatar and voiceover")
    return data


def _parse_markdown(raw: str, path: Path, limits: Limits) -> dict:
    match = _FRONT_MATTER.match(raw.lstrip("\ufeff"))
    if not match:
        raise ScriptError(
            f"script {path} has no front matter: start it with a '---' block holding id, title and avatar"
        )
    data = _parse_yaml(match.group(1), path, limits)
    body = match.group(2).strip()
    if body:
        if "voiceover" in data:
            raise ScriptError(f"script {path} has a voiceover both in its front matter and its body: keep one")
        data["voiceover"] = [_markdown_paragraph(p, path) for p in re.split(r"\n\s*\n", body) if p.strip()]
    return data


def _markdown_paragraph(block: str, path: Path) -> dict:
    """One Markdown paragraph -> {text, camera?}; formatting marks are dropped, the words kept."""
    block = _HTML_COMMENT.sub("", block).strip()
    paragraph: dict = {}
    directive = _CAMERA_DIRECTIVE.match(block)
    if directive:
        camera = directive.group(1).lower()
        if camera not in CAMERA_MOVES:
            raise ScriptError(
                f"script {path}: unknown camera move '{camera}'; use one of: {', '.join(CAMERA_MOVES)}"
            )
        paragraph["camera"] = camera
        block = block[directive.end():]
    lines = [re.sub(r"^\s*(#+|>|[-*+]\s)\s*", "", line) for line in block.splitlines()]
    paragraph["text"] = " ".join(lines)  # links and emphasis marks go in Paragraph
    return paragraph


PATTERN_HELP = {  # what a pattern means, in words
    "id": "use lower-case letters, digits, - and _ (at most 64, starting with a letter or digit): it names the "
          "output folder",
    "language": "use a two-letter language code such as en, de or es",
    "avatar": "name an avatar (`reel avatars` lists them)",
    "platform": "name a platform: reels, tiktok or shorts (templates/platforms)",
    "caption_style": "name a caption style (templates/captions)",
}


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    field = ".".join(str(part) for part in problem["loc"]) or "script"
    message = problem["msg"].removeprefix("Value error, ")
    if problem["type"] == "missing":
        return f"'{field}' is missing: add it to the script"
    if problem["type"] == "extra_forbidden":
        return f"unknown field '{field}': remove it or check its spelling"
    if problem["type"] == "string_pattern_mismatch" and field in PATTERN_HELP:
        return f"'{field}' is {_quoted(str(problem['input']))}: {PATTERN_HELP[field]}"
    return f"'{field}': {message}"


def _quoted(value: str, limit: int = 80) -> str:
    """The value as Python writes it (line breaks escaped: an error stays one line), cut to ``limit``."""
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}..."
