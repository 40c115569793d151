"""Every animator in one place: name -> "module:Class", imported when first used."""

from __future__ import annotations

from reel.engines import EngineRegistry

ANIMATORS = EngineRegistry("animator", {
    "portrait-warp": "reel.animate.portrait_warp:PortraitWarpAnimator",
    "still": "reel.animate.still:StillAnimator",
    "ltx": "reel.animate.ltx:LtxAnimator",
    "wan": "reel.animate.wan:WanAnimator",
    "svd": "reel.animate.svd:SvdAnimator",
    "ltx2": "reel.animate.ltx2:Ltx2Animator",
    "kling-avatar": "reel.animate.kling_avatar:KlingAvatarAnimator",
    "kling-i2v": "reel.animate.kling_i2v:KlingI2vAnimator",
})


def frame_count(duration_s: float, fps: int) -> int:
    return max(1, round(duration_s * fps))
