"""Coqui TTS (the `coqui-tts` package, extra `coqui`) speaking from a local model folder.

- VITS (single- or multi-speaker): the model's own durations time every input token exactly
  (``sum(durations) x hop_length`` is the sample count), so words are timed like Piper and Kokoro;
  the speaking rate goes through its length scale.
- XTTS v2 speaks in the voice of a reference clip (a cloned voice, ``voice: clone``) or of a speaker
  saved in the folder's ``speakers_xtts.pth``. It has no durations: captions take Whisper's timing of
  the rendered audio, and the manifest says how many script words Whisper heard.

A model folder is what Coqui saves: ``config.json`` and ``model.pth`` (XTTS v2 also its
``vocab.json`` and speaker files). Nothing is downloaded. Weights' licences differ by model: XTTS v2
is under the Coqui Public Model License (non-commercial use only); VITS checkpoints vary.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pydantic import model_validator

from reel.engines import Engine, EngineOptions
from reel.errors import EngineError
from reel.settings import load_settings
from reel.speech.base import Sentence, VoiceSpec

LICENSE = ("depends on the model: XTTS v2 weights are under the Coqui Public Model License (non-commercial use "
           "only); VITS checkpoints have their own licences (check the model card); engine coqui-tts: MPL-2.0")
CHECKPOINTS = ("model.pth", "best_model.pth", "checkpoint.pth")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SILENT_TOKENS = {"<BLNK>": "_", " ": " "}  # a blank between tokens and a space sound like nothing
XTTS_SAMPLE_RATE = 22050  # what XTTS v2's conditioning encoders take
XTTS_LANGUAGE = "en"  # reel's scripts are spoken in English (other languages come as recordings)


class CoquiOptions(EngineOptions):
    model: Path | None = None  # a Coqui model folder (config.json + model.pth)
    speaker: str = ""  # multi-speaker VITS: the speaker's name in the model ("" : the first)
    device: str = "cpu"
    # What the folder held when the options were read (sizes and times of its files): a changed model
    # makes the speech again instead of taking the cache.
    model_stamp: str = ""

    @model_validator(mode="after")
    def _stamp(self) -> CoquiOptions:
        if self.model is not None and not self.model_stamp and self.model.is_dir():
            files = sorted(p for p in self.model.iterdir() if p.is_file())
            stamp = ";".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)
            object.__setattr__(self, "model_stamp", stamp)
        return self


class CoquiEngine(Engine):
    """One loaded model per process (per options); a VITS model may have several speakers."""

    name = "coqui"
    Options = CoquiOptions
    install_hint = "./setup.sh coqui (the coqui extra: coqui-tts with torch 2.9 and torchaudio)"
    license_note = LICENSE

    def __init__(self, options: CoquiOptions) -> None:
        super().__init__(options)
        self.check(options)
        import torch
        from TTS.config import load_config
        from TTS.tts.models import setup_model

        folder = options.model
        self.config = load_config(str(folder / "config.json"))
        if (folder / "speakers.pth").is_file():  # the saved path points where the model was trained
            self.config.speakers_file = self.config.model_args.speakers_file = str(folder / "speakers.pth")
        self.kind = str(self.config.model).lower()
        if self.kind not in ("vits", "xtts"):
            raise EngineError(f"Coqui model in {folder} is a '{self.config.model}' model; reel speaks with VITS "
                              "and XTTS v2 models")
        self.model = setup_model(self.config)
        checkpoint = next(folder / name for name in CHECKPOINTS if (folder / name).is_file())
        if self.kind == "xtts":
            self.model.load_checkpoint(self.config, checkpoint_dir=str(folder), eval=True)
        else:
            self.model.load_checkpoint(self.config, str(checkpoint), eval=True)
        self.model.to(options.device)
        self.torch = torch
        self.seed = load_settings().seed  # both sample noise: the same text gives the same speech
        self.voices: dict[str, tuple] = {}  # XTTS conditioning per reference clip or saved speaker

    @classmethod
    def is_installed(cls) -> bool:
        return importlib.util.find_spec("TTS") is not None and importlib.util.find_spec("torch") is not None

    @classmethod
    def version(cls) -> str:
        return f"coqui-tts {importlib.metadata.version('coqui-tts')}" if cls.is_installed() else "coqui-tts (not installed)"

    @classmethod
    def check(cls, options: CoquiOptions) -> None:
        folder = options.model
        if folder is None:
            raise EngineError("no Coqui model: set REEL_COQUI_MODEL to a Coqui model folder (config.json + model.pth)")
        if not (folder / "config.json").is_file():
            raise EngineError(f"Coqui model folder {folder} has no config.json: point REEL_COQUI_MODEL at the folder "
                              "Coqui saved")
        if not any((folder / name).is_file() for name in CHECKPOINTS):
            raise EngineError(f"Coqui model folder {folder} has no checkpoint ({', '.join(CHECKPOINTS)})")

    def sample_rate(self, voice: VoiceSpec) -> int:
        audio = self.config.audio
        return int(getattr(audio, "output_sample_rate", None) or audio.sample_rate)

    def sentences(self, text: str, rate: float, voice: VoiceSpec) -> Iterator[Sentence]:
        for sentence in (s for s in _SENTENCE_END.split(text.strip()) if s):
            yield self._vits(sentence, rate) if self.kind == "vits" else self._xtts(sentence, rate, voice)

    def word_phonemes(self, spoken: str, voice: VoiceSpec) -> list[str]:
        """The tokens the model reads for a word (characters or phonemes, as its config says)."""
        if self.kind != "vits":
            return []
        tokens = [self._token(i) for i in self.model.tokenizer.text_to_ids(spoken)]
        return [t for t in tokens if t not in _SILENT_TOKENS.values()]

    def _token(self, token_id: int) -> str:
        token = self.model.tokenizer.characters.id_to_char(token_id)
        return _SILENT_TOKENS.get(token, token)

    def _vits(self, text: str, rate: float) -> Sentence:
        ids = self.model.tokenizer.text_to_ids(text)
        aux = {"x_lengths": self.torch.LongTensor([len(ids)]).to(self.options.device),
               "speaker_ids": self._speaker_id()}
        self.model.length_scale = self.config.model_args.length_scale / rate
        self.torch.manual_seed(self.seed)
        with self.torch.inference_mode():
            out = self.model.inference(self.torch.LongTensor(ids).unsqueeze(0).to(self.options.device), aux_input=aux)
        audio = out["model_outputs"].squeeze().float().cpu().numpy()
        hop = int(self.config.audio.hop_length)
        frames = out["durations"].squeeze().long().cpu().tolist()
        phones = [(self._token(i), int(n) * hop) for i, n in zip(ids, frames)]
        if sum(n for _, n in phones) != len(audio):
            raise EngineError(f"Coqui VITS timed {sum(n for _, n in phones)} samples but made {len(audio)}: "
                              "the model's hop length does not match its decoder")
        return Sentence(np.clip(audio, -1.0, 1.0).astype(np.float32), phones)

    def _speaker_id(self):
        manager = getattr(self.model, "speaker_manager", None)
        if manager is None or not getattr(manager, "name_to_id", None):
            if self.options.speaker:
                raise EngineError(f"the Coqui model has one speaker; leave REEL_COQUI_SPEAKER empty, not "
                                  f"'{self.options.speaker}'")
            return None
        names = manager.name_to_id
        name = self.options.speaker or next(iter(names))
        if name not in names:
            raise EngineError(f"speaker '{name}' is not in the Coqui model; its speakers: {', '.join(sorted(names))}")
        return self.torch.LongTensor([names[name]]).to(self.options.device)

    def _xtts(self, text: str, rate: float, voice: VoiceSpec) -> Sentence:
        latent, embedding = self._xtts_voice(voice)
        config = self.config
        self.torch.manual_seed(self.seed)
        with self.torch.inference_mode():
            out = self.model.inference(text, XTTS_LANGUAGE, latent, embedding, temperature=config.temperature,
                                       length_penalty=config.length_penalty, top_k=config.top_k, top_p=config.top_p,
                                       repetition_penalty=config.repetition_penalty, speed=rate)
        audio = np.asarray(out["wav"], dtype=np.float32).reshape(-1)
        return Sentence(np.clip(audio, -1.0, 1.0), [])

    def _xtts_voice(self, voice: VoiceSpec) -> tuple:
        """(GPT conditioning latents, speaker embedding) of the reference clip, or of a saved speaker."""
        key = voice.reference or f"speaker:{self.options.speaker}"
        if key not in self.voices:
            self.voices[key] = self._condition(Path(voice.reference)) if voice.reference else self._saved_speaker()
        return self.voices[key]

    def _condition(self, reference: Path) -> tuple:
        from reel.media.audio import read_audio  # FFmpeg decodes the clip: no torchcodec needed

        config = self.config
        audio = read_audio(reference, XTTS_SAMPLE_RATE)[: XTTS_SAMPLE_RATE * int(config.max_ref_len)]
        clip = self.torch.from_numpy(np.ascontiguousarray(audio)).unsqueeze(0).to(self.options.device)
        if config.sound_norm_refs:
            clip = clip / clip.abs().max().clamp(min=1e-6) * 0.75
        with self.torch.inference_mode():
            embedding = self.model.get_speaker_embedding(clip, XTTS_SAMPLE_RATE)
            latent = self.model.get_gpt_cond_latents(clip, XTTS_SAMPLE_RATE, length=config.gpt_cond_len,
                                                     chunk_length=config.gpt_cond_chunk_len)
        return latent, embedding

    def _saved_speaker(self) -> tuple:
        speakers = getattr(self.model.speaker_manager, "speakers", None) or {}
        if not speakers:
            raise EngineError(f"the XTTS v2 model in {self.options.model} has no saved speakers (speakers_xtts.pth): "
                              "speak with voice 'clone' and an avatar's consented reference clip")
        name = self.options.speaker or next(iter(speakers))
        if name not in speakers:
            raise EngineError(f"speaker '{name}' is not in the XTTS v2 model; its speakers: "
                              f"{', '.join(sorted(speakers))}")
        device = self.options.device
        return speakers[name]["gpt_cond_latent"].to(device), speakers[name]["speaker_embedding"].to(device)


def model_kind(folder: Path) -> str:
    """What the Coqui model folder holds ("vits", "xtts", ...), read from its config.json alone."""
    try:
        return str(json.loads((folder / "config.json").read_text(encoding="utf-8")).get("model", "")).lower()
    except (OSError, ValueError, AttributeError):
        raise EngineError(f"the Coqui model's config.json in {folder} cannot be read: point REEL_COQUI_MODEL at "
                          "the folder Coqui saved") from None


def require_cloning_model(options: CoquiOptions) -> None:
    """A cloned voice needs an XTTS v2 model: say so before any work (the folder is checked already)."""
    kind = model_kind(options.model)
    if kind != "xtts":
        raise EngineError(f"voice 'clone' needs an XTTS v2 model in REEL_COQUI_MODEL; {options.model} holds a "
                          f"'{kind}' model, which cannot clone a voice")
