"""Provider credentials: read from the environment, or from a file the user points to, and nowhere
else. They never enter engine options, so they are never in cache keys, manifests, artifacts, logs
or error messages."""

from __future__ import annotations

import os
from pathlib import Path

from reel.errors import EngineError

# Each provider's credentials: (setting, what it is).
CREDENTIALS = {
    "fal": [("REEL_FAL_KEY", "fal.ai API key")],
    "kling": [("REEL_KLING_ACCESS_KEY", "Kling access key"), ("REEL_KLING_SECRET_KEY", "Kling secret key")],
}


def secret(setting: str) -> str | None:
    """``$SETTING``, or the first line of the file named by ``$SETTING_FILE``; None when neither is set."""
    if os.environ.get(setting):
        return os.environ[setting].strip()
    file = os.environ.get(f"{setting}_FILE")
    if not file:
        return None
    try:
        return Path(file).expanduser().read_text(encoding="utf-8").strip().splitlines()[0].strip() or None
    except (OSError, IndexError):
        raise EngineError(f"{setting}_FILE names {file}, which cannot be read or is empty") from None


def credentials(provider: str, engine: str) -> list[str]:
    """The provider's credentials in CREDENTIALS order; one line naming the missing settings otherwise."""
    values = [secret(setting) for setting, _ in CREDENTIALS[provider]]
    missing = [f"{setting} ({what})" for (setting, what), value in zip(CREDENTIALS[provider], values) if not value]
    if missing:
        raise EngineError(f"the animator '{engine}' with provider {provider} needs {' and '.join(missing)}: set it "
                          f"in the environment, or in a file named by <setting>_FILE (e.g. "
                          f"{CREDENTIALS[provider][0][0]}_FILE)")
    return values


def configured(provider: str) -> bool:
    return all(secret(setting) for setting, _ in CREDENTIALS[provider])
