"""espeak-ng (Debian package, GPL-3.0-or-later): a robotic but always-available fallback voice.

It reports no phoneme timings, so captions take Whisper's timing and the mouth follows the audio.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from collections.abc import Iterator

import numpy as np

from reel.errors import EngineError
from reel.speech.compose import Sentence
from reel.speech.registry import VoiceSpec

_WORDS_PER_MINUTE = 165


class EspeakEngine:
    name = "espeak-ng"

    def __init__(self, spec: VoiceSpec) -> None:
        self.program = shutil.which("espeak-ng")
        if self.program is None:
            raise EngineError("the espeak fallback voice needs the espeak-ng program: apt-get install espeak-ng")
        self.spec = spec
        self.version = subprocess.run([self.program, "--version"], capture_output=True, text=True,
                                      check=False).stdout.split("Data")[0].strip()
        self.sample_rate = 22050

    def sentences(self, text: str, rate: float) -> Iterator[Sentence]:
        # The text goes in on stdin, so a paragraph that starts with "-" is never read as an option.
        result = subprocess.run(
            [self.program, "-v", self.spec.speaker, "-s", str(round(_WORDS_PER_MINUTE * rate)), "--stdin", "--stdout"],
            input=text.encode("utf-8"), capture_output=True, check=False,
        )
        if result.returncode != 0 or not result.stdout:
            raise EngineError(f"espeak-ng failed: {result.stderr.decode(errors='replace').strip()[:200]}")
        with wave.open(io.BytesIO(result.stdout)) as wav:
            self.sample_rate = wav.getframerate()
            pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        yield Sentence(pcm.astype(np.float32) / 32768.0, [])

    def word_phonemes(self, spoken: str) -> list[str]:
        return []
