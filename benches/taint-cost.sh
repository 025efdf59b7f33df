#!/usr/bin/env bash
# What the taint (data-flow) pass costs on real code: backlint's full rule
# set against the same rules with every `taint:` section removed (and the
# taint-only rules dropped), on the corpora from scripts/corpus.sh.
# Run by hand, not in CI. Prints a Markdown table; raw rows go to
# target/bench-results/taint-cost.tsv.
#
#   benches/taint-cost.sh                 # python, javascript, rust; 3 runs each
#   RUNS=5 LANGS=python benches/taint-cost.sh
#
# Needs: cargo, python3, hyperfine (apt) or falls back to a `date` loop.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-3}
LANGS=${LANGS:-"python javascript rust"}
OUT=$ROOT/target/bench-results
mkdir -p "$OUT"

command -v hyperfine >/dev/null || { apt-get install -y -qq hyperfine >/dev/null 2>&1 || true; }
[[ -d target/corpus ]] || scripts/corpus.sh

cargo build --release --locked --quiet
BIN=$OUT/backlint-taint-cost
cp target/release/backlint "$BIN"

# The same rules without their taint sections.
PLAIN=$ROOT/target/bench-rules/no-taint
rm -rf "$PLAIN" && mkdir -p "$PLAIN"
python3 - "$ROOT/rules" "$PLAIN" <<'PY'
import pathlib, re, sys
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for path in src.rglob("*.y*ml"):
    text = path.read_text()
    if re.search(r"^library:", text, re.M):
        continue  # libraries only matter to taint sections
    lines, out, skipping = text.splitlines(keepends=True), [], False
    for line in lines:
        if re.match(r"^taint:", line):
            skipping = True
            continue
        if skipping and re.match(r"^\S", line):
            skipping = False
        if not skipping:
            out.append(line)
    body = "".join(out)
    if not re.search(r"^match:", body, re.M):
        continue  # a taint-only rule: nothing left
    target = dst / path.relative_to(src)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body)
PY

time_cmd() { # time_cmd NAME CMD... → median seconds on stdout
  local name=$1; shift
  if command -v hyperfine >/dev/null; then
    hyperfine --style none --warmup 1 --runs "$RUNS" -i --export-json "$OUT/$name.json" \
      "$(printf '%q ' "$@")" >/dev/null 2>&1
    python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print(f\"{r['median']:.2f}\")" "$OUT/$name.json"
  else
    local times=()
    for _ in $(seq "$RUNS"); do
      local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N)
      times+=("$(echo "$t1 - $t0" | bc)")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f\n", a[int((NR+1)/2)]}'
  fi
}

printf 'corpus\tlines\tpattern_only_s\twith_taint_s\toverhead_pct\tflow_findings\n' >"$OUT/taint-cost.tsv"
echo "| corpus | lines | pattern rules only (s) | with taint (s) | taint pass adds | data-flow findings |"
echo "|---|---|---|---|---|---|"
for lang in $LANGS; do
  corpus=$ROOT/target/corpus/$lang
  [[ -d $corpus ]] || { echo "no corpus $corpus" >&2; continue; }
  lines=$(find "$corpus" -type f \( -name '*.py' -o -name '*.js' -o -name '*.mjs' -o -name '*.ts' -o -name '*.rs' \) -print0 | xargs -0 cat | wc -l)
  plain=$(time_cmd "taint-off-$lang" "$BIN" check --no-builtin --rules "$PLAIN" --no-cache --format concise "$corpus")
  full=$(time_cmd "taint-on-$lang" "$BIN" check --no-builtin --rules "$ROOT/rules" --no-cache --format concise "$corpus")
  flows=$( ("$BIN" check --no-builtin --rules "$ROOT/rules" --no-cache --format json "$corpus" 2>/dev/null || true) \
    | python3 -c "import json,sys; print(sum(1 for f in json.load(sys.stdin)['findings'] if f.get('flow')))")
  pct=$(python3 -c "print(f'{(float($full)/float($plain)-1)*100:.1f}')")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$lang" "$lines" "$plain" "$full" "$pct" "$flows" >>"$OUT/taint-cost.tsv"
  echo "| $lang | $lines | $plain | $full | $pct % | $flows |"
done
