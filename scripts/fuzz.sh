#!/usr/bin/env bash
# Long fuzz runs with cargo-fuzz (libFuzzer). Run by hand, not in CI.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]
# Needs a nightly toolchain (cargo-fuzz builds with sanitizers) and installs
# cargo-fuzz if missing. Crashes land in fuzz/artifacts/<target>/; copy each
# into tests/data/fuzz-regressions/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(lint_python lint_javascript lint_typescript lint_rust rule_yaml lsp_messages)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  mkdir -p "$corpus"
  case $t in
    lint_python) find fixtures examples -name '*.py' -exec cp {} "$corpus" \; ;;
    lint_javascript) find fixtures examples -name '*.js' -exec cp {} "$corpus" \; ;;
    lint_typescript) find fixtures examples -name '*.ts' -exec cp {} "$corpus" \; ;;
    lint_rust) find fixtures examples -name '*.rs' -exec cp {} "$corpus" \; ;;
    rule_yaml) find rules -name '*.yaml' -exec cp {} "$corpus" \; ;;
    lsp_messages) : ;;
  esac
  echo "== $t for ${seconds}s"
  cargo +nightly fuzz run -O "$t" "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 2>&1 | tail -n 5
done
