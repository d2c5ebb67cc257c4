#!/usr/bin/env bash
# Install argilla-server 2.8.0 in its own venv (.venv-argilla/) for the Argilla sync tests and
# bench. Idempotent: does nothing when the pinned requirements are already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
VENV=.venv-argilla
REQUIREMENTS=scripts/argilla-server-requirements.txt
if [ -f "$VENV/.installed" ] && [ "$VENV/.installed" -nt "$REQUIREMENTS" ]; then
  exit 0
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -r "$REQUIREMENTS"
touch "$VENV/.installed"
echo "argilla-server installed in $VENV"
