#!/usr/bin/env bash
# Run the OpenAI Agents SDK turn benchmark (offline, scripted model).
# Usage: bench/agents-sdk/run.sh [--turns N] [--warmup W]
# Reuses the virtualenv at $AGENTS_SDK_VENV if set (created there if missing),
# otherwise uses a throwaway one in a temp dir. The JSON result is the last stdout line.
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PYTHON="${PYTHON:-python3}"

die() { echo "agents-sdk bench: $*" >&2; exit 1; }

if [[ -n "${AGENTS_SDK_VENV:-}" ]]; then
  VENV="$AGENTS_SDK_VENV"
  if [[ -x "$VENV/bin/python" ]]; then
    :
  elif [[ -e "$VENV" && -n "$(ls -A "$VENV" 2>/dev/null)" ]]; then
    die "AGENTS_SDK_VENV=$VENV exists but is not a virtualenv (no bin/python)"
  else
    "$PYTHON" -m venv "$VENV" >&2 || die "could not create virtualenv at $VENV"
  fi
else
  TMP="$(mktemp -d "${TMPDIR:-/tmp}/agents-sdk-bench.XXXXXX")" || die "mktemp failed"
  trap 'rm -rf "$TMP"' EXIT
  VENV="$TMP/venv"
  "$PYTHON" -m venv "$VENV" >&2 || die "could not create virtualenv with $PYTHON"
fi

"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$HERE/requirements.txt" >&2 \
  || die "pip install -r $HERE/requirements.txt failed"

export OPENAI_AGENTS_DISABLE_TRACING=1
"$VENV/bin/python" "$HERE/turn_bench.py" "$@" || die "turn_bench.py failed (exit $?)"
