"""Script intake: YAML or Markdown-with-front-matter files -> validated ``Script``."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from reel.errors import ScriptError
from reel.models import CAMERA_MOVES, Script

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)(.*)\Z", re.DOTALL)
_CAMERA_DIRECTIVE = re.compile(r"^\[camera:\s*([a-z-]+)\s*\]\s*", re.IGNORECASE)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def load_script(path: Path) -> Script:
    """Read and validate a script file (.yaml/.yml or .md)."""
    data = _read_mapping(path)
    try:
        return Script.model_validate(data)
    except ValidationError as error:
        raise ScriptError(f"script {path}: {_first_problem(error)}") from error


def script_from_markdown(text: str, fields: dict, name: str = "form") -> Script:
    """A script from a Markdown voiceover (camera and punch marks allowed) plus front-matter fields
    (as a form in the Prefect UI sends them)."""
    data = dict(fields)
    data["voiceover"] = [_markdown_paragraph(p, Path(name)) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    try:
        return Script.model_validate(data)
    except ValidationError as error:
        raise ScriptError(f"script {name}: {_first_problem(error)}") from error


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


def _read_mapping(path: Path) -> dict:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ScriptError(f"script file not found: {path} (check the path)") from error
    except IsADirectoryError as error:
        raise ScriptError(f"script path is a directory, not a file: {path}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ScriptError(f"cannot read script {path}: {error} (it must be UTF-8 text)") from error

    if path.suffix.lower() in {".md", ".markdown"}:
        return _parse_markdown(raw, path)
    if path.suffix.lower() in {".yaml", ".yml"}:
        return _parse_yaml(raw, path)
    raise ScriptError(f"script {path} has an unknown extension: use .yaml, .yml or .md")


def _parse_yaml(raw: str, path: Path) -> dict:
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise ScriptError(f"invalid YAML in {path}{where}: {problem}") from error
    if not isinstance(data, dict):
        raise ScriptError(f"script {path} must be a YAML mapping with id, title, avatar and voiceover")
    return data


def _parse_markdown(raw: str, path: Path) -> dict:
    match = _FRONT_MATTER.match(raw.lstrip("\ufeff"))
    if not match:
        raise ScriptError(
            f"script {path} has no front matter: start it with a '---' block holding id, title and avatar"
        )
    data = _parse_yaml(match.group(1), path)
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
        return f"'{field}' is '{problem['input']}': {PATTERN_HELP[field]}"
    return f"'{field}': {message}"
