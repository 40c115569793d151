"""ffmpeg argv builders (pure functions), one runner, and probing."""
