#!/usr/bin/env bash
# Set up nsa-repro on a fresh machine: a virtual environment with the pinned packages, the
# `nsa` command, and (on Debian, as root) the Fashion-MNIST files the smoke profile trains on.
#
#   bash scripts/setup.sh [VENV]        # VENV defaults to .venv
#
# Safe to rerun: it installs only what is missing.
set -euo pipefail

venv="${1:-.venv}"
python="${PYTHON:-python3}"
here="$(cd "$(dirname "$0")/.." && pwd)"

if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating virtual environment $venv"
  "$python" -m venv "$venv"
fi
echo "setup: installing Python packages (requirements.txt)"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
"$venv/bin/python" -m pip install --quiet --no-deps --editable "$here"

# The smoke profile reads Fashion-MNIST from Debian's package when it is there, and downloads
# it through torchvision otherwise; offline Debian machines (and CI) need the package.
fashion=/usr/share/datasets/fashion-mnist
if [ ! -d "$fashion" ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "setup: installing Debian's dataset-fashion-mnist"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi
if [ ! -d "$fashion" ]; then
  echo "setup: $fashion not found; the smoke profile will download Fashion-MNIST"
fi
echo "setup: done; activate with: source $venv/bin/activate"
