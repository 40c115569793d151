"""The reel stages as Prefect tasks, cached on the content their output depends on.

Results are persisted, so a re-run of an unchanged reel (or a run that resumes after a suspended
review) skips every finished stage, and a changed portrait or text re-runs only what depends on it.
The files a task returns live in REEL_CACHE_DIR under content-addressed names.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
from pathlib import Path

from prefect import task
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.concurrency.sync import concurrency

from reel import avatars, pipeline
from reel.animate import animator_version, load_animator
from reel.animate.camera import CameraPlan
from reel.errors import MediaError
from reel.fsutil import atomic_path
from reel.hashing import sha256_file, sha256_text
from reel.models import Avatar, Captions, Portrait, Script, SpeechTrack
from reel.pipeline import RenderPlan, camera_plan, export_video, make_captions
from reel.settings import load_settings
from reel.speech.recording import recording_key
from reel.speech.registry import speech_key

GPU_LIMIT = "reel-gpu"  # created by `python -m flows.serve`


def _portrait_key(context, parameters: dict) -> str:
    avatar: Avatar = parameters["avatar"]
    return "portrait-" + avatars.portrait_key(sha256_file(avatar.portrait), tuple(parameters["size"]))


def _speech_key(context, parameters: dict) -> str:
    plan: RenderPlan = parameters["plan"]
    if plan.recording is not None:
        return "recording-" + recording_key(plan.script, plan.recording, plan.lexicon, plan.script.language)
    return "speech-" + speech_key(plan.script, plan.voice, plan.lexicon)


def _captions_key(context, parameters: dict) -> str:
    plan: RenderPlan = parameters["plan"]
    return "captions-" + sha256_text(parameters["speech"].sha256, plan.style.model_dump_json(),
                                     plan.platform.model_dump_json(), str(parameters["size"]))[:24]


def _video_key(context, parameters: dict) -> str:
    settings = load_settings()
    camera = parameters["camera"]
    return "video-" + sha256_text(
        parameters["portrait"].sha256, parameters["speech"].sha256, parameters["captions"].sha256,
        json.dumps(dataclasses.asdict(camera)), animator_version(settings.animator),
        f"{settings.fps} {settings.seed} {settings.x264_preset} {settings.x264_crf} {settings.loudness_lufs}",
    )[:24]


# Rendering is deterministic: a failure is a bug or bad input, and retrying it only wastes time.
# Only file-system hiccups (a network share, a full disk freed by a cleanup) get a retry.
_TRANSIENT = dict(retries=1, retry_delay_seconds=5, retry_condition_fn=lambda task, run, state: _is_os_error(state))


def _is_os_error(state) -> bool:
    try:
        state.result()
    except OSError:
        return True
    except Exception:  # noqa: BLE001 - any other failure is not transient
        return False
    return False


@task(name="portrait", cache_key_fn=_portrait_key, persist_result=True, **_TRANSIENT)
def frame_portrait(avatar: Avatar, size: tuple[int, int]) -> Portrait:
    return avatars.prepare_portrait(avatar, size, load_settings().cache_dir)


@task(name="speech", cache_key_fn=_speech_key, persist_result=True, **_TRANSIENT)
def speak(plan: RenderPlan) -> SpeechTrack:
    return pipeline.speak(plan, load_settings())[0]


@task(name="captions", cache_key_fn=_captions_key, persist_result=True, **_TRANSIENT)
def caption(speech: SpeechTrack, plan: RenderPlan, size: tuple[int, int]) -> Captions:
    folder = load_settings().cache_dir / "captions"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{speech.sha256[:16]}-{plan.style.id}-{plan.platform.id}.ass"
    return make_captions(speech, plan, path, size)


@task(name="animate+export", cache_key_fn=_video_key, persist_result=True, **_TRANSIENT)
def animate_and_export(portrait: Portrait, speech: SpeechTrack, captions: Captions, camera: CameraPlan,
                       plan: RenderPlan) -> dict:
    """Render the MP4 into the cache; a progress artifact follows the frames."""
    settings = load_settings()
    key = _video_key(None, {"portrait": portrait, "speech": speech, "captions": captions, "camera": camera})
    final = settings.cache_dir / "videos" / f"{key}.mp4"
    progress_id = create_progress_artifact(progress=0.0, description=f"Animating '{plan.script.id}'")

    def progress(done: float, total: float) -> None:
        if int(done) % 90 == 0 or done >= total:
            update_progress_artifact(progress_id, progress=100.0 * done / max(total, 1))

    # GPU animators share the machine's GPU through a global limit; strict: a missing limit is an error.
    on_gpu = getattr(load_animator(settings.animator), "device", "cpu") != "cpu"
    with concurrency(GPU_LIMIT, occupy=1, strict=True) if on_gpu else contextlib.nullcontext():
        with atomic_path(final) as tmp:
            seconds = export_video(portrait, speech, captions, camera, plan, settings, tmp, progress)
    return {"video": str(final), "animate_seconds": seconds}


@task(name="camera")
def plan_camera(script: Script, speech: SpeechTrack, portrait: Portrait) -> CameraPlan:
    return camera_plan(script, speech, portrait)


def copy_into(source: Path, target: Path) -> None:
    if not source.is_file():
        raise MediaError(f"cached file {source} is gone: clear the Prefect results or REEL_CACHE_DIR and run again")
    shutil.copyfile(source, target)
