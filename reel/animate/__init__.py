"""Animators turn the framed portrait and the speech into a stream of video frames."""

from reel.animate.registry import ANIMATORS, frame_count

__all__ = ["ANIMATORS", "frame_count"]
