"""Captions: Whisper word timestamps aligned to the script's own words, rendered as ASS."""
