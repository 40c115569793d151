"""The Coqui speech engine with tiny random-weight VITS and XTTS v2 models built from Coqui's config
classes and saved as Coqui model folders (tests/coqui_models.py). Runs where the `coqui` extra is
installed (./setup.sh coqui); skipped elsewhere."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("TTS", reason="the coqui extra is not installed (./setup.sh coqui)")

from reel.cli import main
from reel.hashing import sha256_file
from reel.speech.compose import LEAD_IN_S, SENTENCE_PAUSE_S
from tests.conftest import CONSENT, clone_avatar
from tests.coqui_models import HOP, tiny_vits, tiny_xtts
from tests.test_pipeline import script_file

TEXT = "Papa made a bold plan. Then the band played again."


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("coqui")
    return {"one": tiny_vits(root / "one"), "two": tiny_vits(root / "two", speakers=["ana", "ben"]),
            "xtts": tiny_xtts(root / "xtts")}


def engine(folder: Path, **options):
    from reel.speech.coqui import CoquiEngine, CoquiOptions

    return CoquiEngine(CoquiOptions(model=folder, **options))


def coqui_word_starts(folder: Path, sentence: str, seed: int) -> list[float]:
    """Seconds from the sentence's start to each word's first letter, from Coqui's own durations."""
    import torch
    from TTS.config import load_config
    from TTS.tts.models import setup_model

    config = load_config(str(folder / "config.json"))
    model = setup_model(config)
    model.load_checkpoint(config, str(folder / "model.pth"), eval=True)
    ids = model.tokenizer.text_to_ids(sentence)
    torch.manual_seed(seed)
    with torch.inference_mode():
        out = model.inference(torch.LongTensor(ids).unsqueeze(0), aux_input={"x_lengths": torch.LongTensor([len(ids)])})
    frames = out["durations"].squeeze().tolist()
    tokens = [model.tokenizer.characters.id_to_char(i) for i in ids]
    starts, at, new_word = [], 0, True
    for token, count in zip(tokens, frames):
        if token == " ":
            new_word = True
        elif token.isalpha() and new_word:
            starts.append(at * HOP / config.audio.sample_rate)
            new_word = False
        at += int(count)
    return starts


def test_vits_times_every_sample_and_slows_with_the_rate(models):
    from reel.speech.registry import VOICES

    speaker = engine(models["one"])
    normal = list(speaker.sentences(TEXT, 1.0, VOICES["coqui"]))
    assert len(normal) == 2 and speaker.sample_rate(VOICES["coqui"]) == 16000
    for sentence in normal:
        assert sum(samples for _, samples in sentence.phones) == len(sentence.audio) > 0
        assert sentence.audio.dtype.name == "float32" and abs(sentence.audio).max() <= 1.0
    fast = list(speaker.sentences(TEXT, 2.0, VOICES["coqui"]))
    ratio = sum(len(s.audio) for s in fast) / sum(len(s.audio) for s in normal)
    assert 0.4 < ratio < 0.65  # the length scale halves every duration (each rounded up to a frame)
    again = list(speaker.sentences(TEXT, 1.0, VOICES["coqui"]))
    assert all((a.audio == b.audio).all() for a, b in zip(normal, again))  # seeded: the same speech again
    assert speaker.word_phonemes("Bold", VOICES["coqui"]) == ["b", "o", "l", "d"]


def test_a_reel_spoken_by_coqui_vits_has_the_models_own_word_timings(models, tmp_path, monkeypatch):
    monkeypatch.setenv("REEL_COQUI_MODEL", str(models["one"]))
    script = script_file(tmp_path, TEXT, id="coqui-reel", voice="coqui")
    assert main(["render", str(script), "--out", str(tmp_path / "out")]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["speech"]["voice"] == "coqui" and manifest["engines"]["speech"].startswith("coqui-tts ")
    assert manifest["captions"]["timing_source"] == "speech-engine"
    words = manifest["captions"]["words"]
    assert [w["text"] for w in words] == TEXT.split()
    first, second = (coqui_word_starts(models["one"], s, manifest["settings"]["seed"])
                     for s in ("Papa made a bold plan.", "Then the band played again."))
    first_audio_s = len(next(engine(models["one"]).sentences("Papa made a bold plan.", 1.0, _voice())).audio) / 16000
    expected = [LEAD_IN_S + s for s in first] + [LEAD_IN_S + first_audio_s + SENTENCE_PAUSE_S + s for s in second]
    assert [w["speech_start"] for w in words] == pytest.approx(expected, abs=1e-6)
    assert manifest["reel"]["video_duration_s"] == pytest.approx(manifest["speech"]["duration_s"], abs=0.04)


def test_speakers_of_a_multi_speaker_model(models):
    ana = next(engine(models["two"], speaker="ana").sentences("Hello there.", 1.0, _voice()))
    ben = next(engine(models["two"], speaker="ben").sentences("Hello there.", 1.0, _voice()))
    assert not (len(ana.audio) == len(ben.audio) and (ana.audio == ben.audio).all())
    from reel.errors import EngineError

    with pytest.raises(EngineError, match=r"^speaker 'cleo' is not in the Coqui model; its speakers: ana, ben$"):
        list(engine(models["two"], speaker="cleo").sentences("Hello there.", 1.0, _voice()))


@pytest.mark.parametrize(("setting", "message"), [
    (None, "no Coqui model: set REEL_COQUI_MODEL to a Coqui model folder (config.json + model.pth)"),
    ("missing", "Coqui model folder {folder} has no config.json: point REEL_COQUI_MODEL at the folder Coqui saved"),
])
def test_a_missing_model_is_one_line_before_any_work(tmp_path, monkeypatch, capsys, setting, message):
    folder = tmp_path / "missing"
    monkeypatch.delenv("REEL_COQUI_MODEL", raising=False)
    if setting:
        monkeypatch.setenv("REEL_COQUI_MODEL", str(folder))
    script = script_file(tmp_path, TEXT, id="no-model", voice="coqui")
    assert main(["render", str(script), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == "error: " + message.format(folder=folder)
    assert not (tmp_path / "out").exists()


def test_doctor_and_voices_show_the_model_and_its_licence(models, monkeypatch, capsys):
    monkeypatch.setenv("REEL_COQUI_MODEL", str(models["one"]))
    main(["doctor"])
    row = next(line for line in capsys.readouterr().out.splitlines() if " voice coqui " in line)
    assert row.startswith("ok   voice coqui") and f"installed, model {models['one']};" in row
    assert "Coqui Public Model License" in row
    monkeypatch.delenv("REEL_COQUI_MODEL")
    assert main(["voices"]) == 0
    assert "(installed, not ready: no Coqui model: set REEL_COQUI_MODEL" in capsys.readouterr().out


def test_xtts_speaks_in_the_voice_of_its_reference_clip(models, clips):
    speaker = engine(models["xtts"])
    speech = list(speaker.sentences(TEXT, 1.0, _voice("clone", clips / "speech.wav")))
    assert len(speech) == 2 and speaker.sample_rate(_voice("clone")) == 24000
    for sentence in speech:
        assert sentence.phones == [] and sentence.audio.dtype.name == "float32"
        assert len(sentence.audio) > 0 and abs(sentence.audio).max() <= 1.0
    again = list(speaker.sentences(TEXT, 1.0, _voice("clone", clips / "speech.wav")))
    assert all((a.audio == b.audio).all() for a, b in zip(speech, again))  # seeded: the same speech again
    other = list(speaker.sentences(TEXT, 1.0, _voice("clone", clips / "tone.wav")))
    assert any(len(a.audio) != len(b.audio) or (a.audio != b.audio).any() for a, b in zip(speech, other))
    fast = list(speaker.sentences(TEXT, 2.0, _voice("clone", clips / "speech.wav")))
    assert 0.45 < sum(len(s.audio) for s in fast) / sum(len(s.audio) for s in speech) < 0.55


def test_a_reel_in_a_cloned_voice_records_the_clip_and_the_consent(models, clips, avatars_copy, tmp_path,
                                                                     monkeypatch):
    clone_avatar(avatars_copy, clips / "speech.wav")
    monkeypatch.setenv("REEL_ASSETS_DIR", str(avatars_copy))
    monkeypatch.setenv("REEL_COQUI_MODEL", str(models["xtts"]))
    script = script_file(tmp_path, TEXT, id="cloned", voice="clone")
    assert main(["render", str(script), "--out", str(tmp_path / "out")]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    speech = manifest["speech"]
    assert speech["voice"] == "clone" and "Coqui Public Model License" in speech["license"]
    assert speech["clone"]["sha256"] == sha256_file(clips / "speech.wav") and speech["clone"]["speech_s"] >= 6
    assert speech["clone"]["consent"] == {**CONSENT, "document": ""}
    captions = manifest["captions"]
    assert captions["timing_source"] == "whisper" and [w["text"] for w in captions["words"]] == TEXT.split()
    # Random weights babble: Whisper hears none of the script, and the manifest says so word by word.
    assert captions["match"]["script_words"] == 10
    assert captions["match"]["unmatched_words"] == [w["text"] for w in captions["words"] if w["whisper_start"] is None]
    assert manifest["reel"]["video_duration_s"] == pytest.approx(speech["duration_s"], abs=0.04)


def test_a_clone_needs_an_xtts_model(models, clips, avatars_copy, tmp_path, monkeypatch, capsys):
    clone_avatar(avatars_copy, clips / "speech.wav")
    monkeypatch.setenv("REEL_ASSETS_DIR", str(avatars_copy))
    monkeypatch.setenv("REEL_COQUI_MODEL", str(models["one"]))
    script = script_file(tmp_path, TEXT, id="cloned", voice="clone")
    assert main(["render", str(script), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: voice 'clone' needs an XTTS v2 model in REEL_COQUI_MODEL; "
                                               f"{models['one']} holds a 'vits' model, which cannot clone a voice")
    assert not (tmp_path / "out").exists()


def test_xtts_speakers_saved_in_the_model_folder(models, clips, tmp_path):
    import shutil

    import torch

    from reel.errors import EngineError

    folder = Path(shutil.copytree(models["xtts"], tmp_path / "xtts"))
    with pytest.raises(EngineError, match=r"has no saved speakers \(speakers_xtts.pth\): speak with voice 'clone'"):
        next(engine(folder).sentences("Hello there.", 1.0, _voice()))
    cloned = engine(folder)._xtts_voice(_voice("clone", clips / "speech.wav"))
    torch.save({"nova": dict(zip(("gpt_cond_latent", "speaker_embedding"), cloned))}, folder / "speakers_xtts.pth")
    saved = next(engine(folder, speaker="nova").sentences("Hello there.", 1.0, _voice()))
    clone = next(engine(folder).sentences("Hello there.", 1.0, _voice("clone", clips / "speech.wav")))
    assert len(saved.audio) > 0 and (saved.audio == clone.audio).all()
    with pytest.raises(EngineError, match=r"^speaker 'cleo' is not in the XTTS v2 model; its speakers: nova$"):
        next(engine(folder, speaker="cleo").sentences("Hello there.", 1.0, _voice()))


def _voice(voice_id: str = "coqui", reference: Path | None = None):
    from reel.speech.registry import VOICES

    return replace(VOICES[voice_id], reference=str(reference or ""))
