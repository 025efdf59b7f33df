#!/usr/bin/env bash
# Validates SARIF files with Microsoft's SARIF Multitool, running both
# its GitHub-ingestion rules (GH*) and its SARIF rules:
#
#   scripts/sarif-multitool.sh OUTPUT.sarif INPUT.sarif...
#
# The multitool writes its findings to OUTPUT.sarif and exits 0 even when
# it finds errors: read OUTPUT (tests/sarif_multitool.rs does). It is
# installed from npm (@microsoft/sarif-multitool-linux, a self-contained
# .NET build that runs offline) into target/sarif-multitool on first use.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${CARGO_TARGET_DIR:-$root/target}/sarif-multitool"
version="5.7.0"
tool="$dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"

if [ "$#" -lt 2 ]; then
  echo "usage: $0 OUTPUT.sarif INPUT.sarif..." >&2
  exit 2
fi
output="$1"
shift

installed_version() {
  [ -f "$dir/node_modules/@microsoft/sarif-multitool-linux/package.json" ] &&
    node -p "require('$dir/node_modules/@microsoft/sarif-multitool-linux/package.json').version" 2>/dev/null
}

if [ "$(installed_version || true)" != "$version" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
    "@microsoft/sarif-multitool-linux@$version" >&2
fi
# npm may skip the package's postinstall (which only sets this bit).
chmod u+x "$tool"

# .NET needs ICU for culture data unless told to run culture-invariant;
# validation does not depend on culture, so run invariant when ICU is absent.
if ! ldconfig -p 2>/dev/null | grep -q 'libicuuc\.so'; then
  export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1

rm -f "$output"
"$tool" validate --rule-kind "Gh;Sarif" --output "$output" "$@"
test -s "$output"
