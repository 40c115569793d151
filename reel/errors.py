"""Errors that tell the reader what is wrong and what to do next.

Every message is one line; the CLI prints it as ``error: <message>`` and exits non-zero.
"""


class ReelError(Exception):
    """Base class: a problem the user can fix (bad input, missing engine, unwritable output)."""

    exit_code = 2


class ScriptError(ReelError):
    """The script file is missing, unreadable, malformed or not allowed to render."""


class AvatarError(ReelError):
    """The avatar is unknown, its portrait is unreadable or has no detectable face."""


class EngineError(ReelError):
    """An engine is unknown, not installed or failed to run."""


class MediaError(ReelError):
    """ffmpeg failed; the message carries the command and the end of its stderr."""


class OutputError(ReelError):
    """The output location cannot be written."""
