"""reel: approved script + avatar portrait -> vertical talking-head reel."""

__version__ = "0.1.0"
