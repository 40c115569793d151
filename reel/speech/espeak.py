"""espeak-ng (Debian package, GPL-3.0-or-later): a robotic but always-available fallback voice.

It reports no phoneme timings, so captions take Whisper's timing and the mouth follows the audio.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import wave
from collections.abc import Iterator

import numpy as np

from reel.engines import Engine, EngineOptions
from reel.errors import EngineError
from reel.speech.base import Sentence, VoiceSpec

_WORDS_PER_MINUTE = 165


class EspeakEngine(Engine):
    name = "espeak"
    install_hint = "apt-get install espeak-ng"

    def __init__(self, options: EngineOptions) -> None:
        super().__init__(options)
        self.program = shutil.which("espeak-ng")
        self._sample_rate = 22050

    @classmethod
    def is_installed(cls) -> bool:
        return shutil.which("espeak-ng") is not None

    @classmethod
    @functools.cache
    def version(cls) -> str:
        program = shutil.which("espeak-ng")
        if program is None:
            return "espeak-ng (not installed)"
        return subprocess.run([program, "--version"], capture_output=True, text=True,
                              check=False).stdout.split("Data")[0].strip()

    def sample_rate(self, voice: VoiceSpec) -> int:
        return self._sample_rate

    def sentences(self, text: str, rate: float, voice: VoiceSpec) -> Iterator[Sentence]:
        # The text goes in on stdin, so a paragraph that starts with "-" is never read as an option.
        result = subprocess.run(
            [self.program, "-v", voice.speaker, "-s", str(round(_WORDS_PER_MINUTE * rate)), "--stdin", "--stdout"],
            input=text.encode("utf-8"), capture_output=True, check=False,
        )
        if result.returncode != 0 or not result.stdout:
            raise EngineError(f"espeak-ng failed: {result.stderr.decode(errors='replace').strip()[:200]}")
        with wave.open(io.BytesIO(result.stdout)) as wav:
            self._sample_rate = wav.getframerate()
            pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        yield Sentence(pcm.astype(np.float32) / 32768.0, [])

    def word_phonemes(self, spoken: str, voice: VoiceSpec) -> list[str]:
        return []
