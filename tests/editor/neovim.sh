#!/usr/bin/env bash
# End-to-end check of `backlint lsp` in a real editor: headless Neovim
# attaches the server to FILE, waits for diagnostics, edits the buffer and
# writes what it received as JSON to OUT.
#
# usage: tests/editor/neovim.sh BACKLINT_BIN FILE OUT
#
# Installs Debian's neovim (0.7.x) when `nvim` is missing; fails loudly if
# it cannot.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BACKLINT_BIN FILE OUT" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"

if ! command -v nvim >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "neovim.sh: nvim is missing and cannot be installed (not root, no sudo)" >&2
    exit 1
  fi
  echo "neovim.sh: installing neovim with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq >&2
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends neovim >&2
fi

BACKLINT_BIN="$1" BACKLINT_TARGET="$2" BACKLINT_OUT="$3" \
  timeout 150 nvim --headless -u NONE -i NONE -n \
  -c "luafile $here/neovim.lua" </dev/null
test -s "$3" || { echo "neovim.sh: Neovim wrote no result to $3" >&2; exit 1; }
