#!/usr/bin/env bash
# Hand-run: compares backlint's security rules with the peers a user would
# pick instead -- bandit and `ruff --select S` (Python), eslint-plugin-security
# (JavaScript/TypeScript) -- on backlint's annotated fixture files, and prints
# per family and language the recall on `expect:` lines and the rate of
# flagged `ok:` lines, and for the taint families (injection, SSRF, path,
# XSS, redirect) the precision, both with any peer finding counted and with
# the peers' rule ids mapped to families (the source of the "Security rules
# vs bandit, ruff, eslint-plugin-security" section of docs/comparison.md).
#
# Installs the peers from the registries with their ordinary clients:
#   bandit, ruff                      -> pip, venv in target/compare-venv
#   eslint, eslint-plugin-security,
#   @typescript-eslint/parser         -> npm, in target/compare-node
# Raw outputs and the per-line details go to target/compare-security/.
#
# Usage: scripts/compare-security.sh [--details]
#   --details  also print every peer finding the table is built from
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

BANDIT_VERSION=1.9.4
RUFF_VERSION=0.17.6
ESLINT_VERSION=10.15.0
ESLINT_SECURITY_VERSION=4.1.0
TS_PARSER_VERSION=8.73.0

families=(sql-injection command-injection code-injection insecure-deserialization
  tls-verification-disabled jwt-verification-disabled cors-misconfiguration
  csrf-disabled insecure-cookie debug-enabled weak-password-hash weak-random
  error-leak sensitive-data-in-log mass-assignment hardcoded-secret
  ssrf path-traversal xss open-redirect)

repo=$root
venv=$repo/target/compare-venv
node=$repo/target/compare-node
out=$(realpath -m "${OUT:-$repo/target/compare-security}")
mkdir -p "$out" "$node"

# --- install the peers ------------------------------------------------------
if [ ! -x "$venv/bin/bandit" ] || [ ! -x "$venv/bin/ruff" ] \
  || ! "$venv/bin/bandit" --version 2>/dev/null | grep -q "bandit $BANDIT_VERSION" \
  || [ "$("$venv/bin/ruff" --version 2>/dev/null)" != "ruff $RUFF_VERSION" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "bandit==$BANDIT_VERSION" "ruff==$RUFF_VERSION"
fi

if [ ! -f "$node/package.json" ]; then
  echo '{"name":"backlint-compare-node","private":true,"type":"module"}' >"$node/package.json"
fi
if [ ! -x "$node/node_modules/.bin/eslint" ] \
  || [ "$(cd "$node" && node -p 'require("eslint/package.json").version' 2>/dev/null)" != "$ESLINT_VERSION" ]; then
  (cd "$node" && npm install --silent --no-audit --no-fund \
    "eslint@$ESLINT_VERSION" "eslint-plugin-security@$ESLINT_SECURITY_VERSION" \
    "@typescript-eslint/parser@$TS_PARSER_VERSION")
fi

# Flat config: the plugin's recommended rules on every file; TypeScript files
# go through @typescript-eslint/parser so that they parse. No other rules.
cat >"$node/eslint.config.mjs" <<'EOF'
import security from "eslint-plugin-security";
import tsParser from "@typescript-eslint/parser";

export default [
  // The fixtures' own eslint-disable comments are not findings.
  { linterOptions: { reportUnusedDisableDirectives: "off" } },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { ecmaVersion: "latest", sourceType: "module" },
    ...security.configs.recommended,
  },
  {
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: { parser: tsParser, ecmaVersion: "latest", sourceType: "module" },
    ...security.configs.recommended,
  },
];
EOF

# --- the fixture files --------------------------------------------------------
# fixtures/<lang>/<family>.<ext> plus its variants <family>-*.<ext> and
# <family>.*.<ext> (e.g. debug-enabled-django-settings.py,
# cors-misconfiguration.spec.ts, sql-injection-taint.py); `*.fixed.*` files
# hold expected autofix output and are not fixtures.
# FILES=list.txt (paths relative to ROOT=dir, default the repository) scores
# another annotated file set instead, e.g. probe files outside the fixtures;
# OUT=dir puts that run's outputs elsewhere than target/compare-security.
if [ -n "${FILES:-}" ]; then
  files_list=$(realpath "$FILES")
  root=$(realpath "${ROOT:-$root}")
  cd "$root"
  sort -u "$files_list" >"$out/files.txt"
else
: >"$out/files.txt"
for fam in "${families[@]}"; do
  for pair in python:py javascript:js typescript:ts rust:rs; do
    lang=${pair%%:*} ext=${pair#*:}
    for f in fixtures/"$lang"/"$fam"."$ext" fixtures/"$lang"/"$fam"-*."$ext" fixtures/"$lang"/"$fam".*."$ext"; do
      case "$f" in *.fixed."$ext") continue ;; esac
      if [ -f "$f" ]; then echo "$f"; fi
    done
  done
done | sort -u >"$out/files.txt"
fi
mapfile -t all <"$out/files.txt"
mapfile -t pyf < <(grep '\.py$' "$out/files.txt")
mapfile -t jsf < <(grep -E '\.(js|ts)$' "$out/files.txt")

# --- run the tools (exit status 1 = "found something" for all of them) -------
# BACKLINT=path/to/backlint skips the build and uses that binary.
if [ -z "${BACKLINT:-}" ]; then
  (cd "$repo" && cargo build --quiet)
  BACKLINT=$repo/target/debug/backlint
fi
"$BACKLINT" check --format json --no-cache "${all[@]}" >"$out/backlint.json" || true

"$venv/bin/bandit" -q -f json -o "$out/bandit.json" "${pyf[@]}" || true
"$venv/bin/ruff" check --isolated --no-cache --select S --output-format json \
  "${pyf[@]}" >"$out/ruff.json" || true
# Run from the repository root (or ROOT) with -c so that the files are inside
# ESLint's base path; the config's imports resolve from target/compare-node.
"$node/node_modules/.bin/eslint" -c "$node/eslint.config.mjs" -f json "${jsf[@]}" \
  >"$out/eslint.json" || true

{
  echo "bandit $("$venv/bin/bandit" --version | head -1 | awk '{print $2}')"
  echo "ruff $("$venv/bin/ruff" --version | awk '{print $2}')"
  echo "eslint $(cd "$node" && node -p 'require("eslint/package.json").version')"
  echo "eslint-plugin-security $(cd "$node" && node -p 'require("eslint-plugin-security/package.json").version')"
  echo "@typescript-eslint/parser $(cd "$node" && node -p 'require("@typescript-eslint/parser/package.json").version')"
  echo "backlint $("$BACKLINT" --version | awk '{print $2}')"
} >"$out/versions.txt"

python3 "$repo/scripts/compare_security.py" --out "$out" --root "$root" "$@" "${families[@]}"
