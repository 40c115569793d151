"""Uploaded voiceovers: Whisper times the captions, and a recording of other words is refused."""

import json
import subprocess

import pytest

from reel.errors import ScriptError
from reel.media.ffmpeg import ffmpeg_exe
from reel.models import Script
from reel.speech.compose import spoken_paragraphs
from reel.speech.recording import speech_from_recording
from tests.conftest import speak, write

TEXT = "Our spring sale starts Monday. Everything in the store is 20% off, for one week only."


def _script(text: str = TEXT) -> Script:
    return Script(id="vo", title="VO", avatar="astronaut", voiceover=text)


@pytest.fixture(scope="module")
def upload(tmp_path_factory):
    """A 'recorded' voiceover: the male voice, delayed by 0.8 s and sent as an MP3, as a user might."""
    folder = tmp_path_factory.mktemp("upload")
    spoken = speak("joe", _script(), folder / "take.wav")
    mp3 = folder / "take.mp3"
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(spoken.path), "-af", "adelay=800",
                    "-b:a", "128k", str(mp3)], check=True)
    return mp3, spoken


def test_a_matching_recording_gets_whisper_timing_close_to_the_voice(upload, tmp_path):
    mp3, spoken = upload
    track = speech_from_recording(spoken_paragraphs(_script(), {}), mp3, tmp_path / "take.wav")
    report = track.match
    assert report.unmatched_share <= 0.1 and report.script_words == len(_script().words)
    assert track.phones == [] and [w.text for w in track.words] == _script().words
    assert abs(track.duration_s - (spoken.duration_s + 0.8)) < 0.1
    # Whisper's word starts land near the voice's own (shifted by the 0.8 s delay).
    offsets = [t.start - (s.start + 0.8) for t, s in zip(track.words, spoken.words)]
    assert sorted(abs(o) for o in offsets)[len(offsets) // 2] < 0.15
    assert track.paragraph_spans[0][0] > 0.7  # after the 0.8 s delay, within Whisper's word timing (Piper varies)


def test_a_recording_of_other_words_is_reported_and_refused(upload, tmp_path):
    mp3, _ = upload
    other = _script("Meet Nova, the scheduling assistant that plans your week before you finish your coffee.")
    with pytest.raises(ScriptError, match=r"does not match the script: \d+% of 14 script words not heard \(Nova, ") as error:
        speech_from_recording(spoken_paragraphs(other, {}), mp3, tmp_path / "take.wav")
    assert int(str(error.value).split("script: ")[1].split("%")[0]) >= 50


def test_render_with_a_recording_reports_the_match_in_the_manifest(upload, tmp_path, settings):
    from reel.pipeline import render

    mp3, _ = upload
    script = write(tmp_path / "vo.md", "---\nid: vo\ntitle: VO\navatar: astronaut\ncamera: static\n"
                   f"recording: {mp3}\napproval: {{status: approved, reviewer: Test}}\n---\n{TEXT}\n")
    manifest = json.loads(render(script, tmp_path / "out", settings).manifest.read_text())
    assert manifest["speech"]["voice"] == "recording"
    assert manifest["speech"]["recording"]["unmatched_share"] <= 0.1
    assert manifest["captions"]["timing_source"] == "whisper" and manifest["captions"]["heard_share"] >= 0.9
    assert abs(manifest["reel"]["video_duration_s"] - manifest["speech"]["duration_s"]) < 0.1


def test_missing_recording_is_one_clear_line(tmp_path, settings):
    from reel.plan import plan_render

    script = write(tmp_path / "vo.md", "---\nid: vo\ntitle: VO\navatar: astronaut\nrecording: takes/none.wav\n"
                   f"approval: {{status: approved, reviewer: Test}}\n---\n{TEXT}\n")
    with pytest.raises(ScriptError, match="voiceover recording not found: .*takes/none.wav"):
        plan_render(script, settings)


def test_other_languages_need_a_recording():
    with pytest.raises(ValueError, match="voices speak English only"):
        Script(id="s", title="S", avatar="a", voiceover="Hola a todos.", language="es")


def test_batch_csv_rows_may_name_a_recording_beside_the_csv(upload, tmp_path):
    import shutil

    from flows.batch import scripts_from_csv
    from reel.script import load_script

    mp3, _ = upload
    (tmp_path / "takes").mkdir()
    shutil.copy(mp3, tmp_path / "takes" / "sale.mp3")
    table = write(tmp_path / "week.csv", f"id,title,avatar,recording,text\nsale,Sale,astronaut,takes/sale.mp3,{TEXT}\n")
    script = load_script(scripts_from_csv(table)[0])
    assert script.recording == (tmp_path / "takes" / "sale.mp3").resolve() and script.recording.is_file()
