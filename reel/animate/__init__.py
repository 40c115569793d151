"""Animators turn the framed portrait and the speech into a stream of video frames."""

from reel.animate.registry import ANIMATORS, animator_version, frame_count, load_animator

__all__ = ["ANIMATORS", "animator_version", "frame_count", "load_animator"]
