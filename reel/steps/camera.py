"""Step 4: the script's camera moves and punch-ins on the speech's time line."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from reel.models import CameraPlan, SpeechTrack
from reel.plan import RenderPlan
from reel.settings import ReelSettings
from reel.steps.base import Progress, Step


class CameraInput(BaseModel):
    moves: list[str]  # one per paragraph
    punch_words: list[tuple[int, int]]  # [first, last] caption word of each punch-in
    speech: SpeechTrack
    face_box: tuple[float, float, float, float]


def _camera_input(plan: RenderPlan, settings: ReelSettings, done: dict) -> CameraInput:
    script = plan.script
    return CameraInput(moves=[script.camera_for(i) for i in range(len(script.paragraphs))],
                       punch_words=script.punch_words, speech=done["speech"], face_box=done["portrait"].face_box)


def _plan_camera(inputs: CameraInput, files: Path, progress: Progress) -> CameraPlan:
    """One move per paragraph on the speech's time line; punch-ins on the marked phrases."""
    speech, box = inputs.speech, inputs.face_box
    starts = [0.0] + [span[0] for span in speech.paragraph_spans[1:]]
    punches = [(speech.words[a].start, speech.words[b].end) for a, b in inputs.punch_words]
    return CameraPlan(moves=inputs.moves, starts=starts, end=speech.duration_s, punches=punches,
                      focus=((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))


CAMERA = Step("camera", "1", CameraPlan, _camera_input, _plan_camera)
