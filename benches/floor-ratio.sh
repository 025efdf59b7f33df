#!/usr/bin/env bash
# Issue 9's first target, measured so that a machine whose speed drifts
# during a pass cannot skew it: backlint's cold run against the tree-sitter
# parse floor (and ast-grep, when benches/compare.sh installed it),
# interleaved run by run on each corpus. Each round runs every command once,
# in an order that rotates from round to round; the ratio is computed per
# round and the median of the rounds is reported. Run by hand, never in CI.
#
# Usage:  benches/floor-ratio.sh
# Env:    ROUNDS=5      rounds per corpus
#         LANGS="python javascript rust"
#         BACKLINT=path  the backlint binary (default: the frozen copy
#                        target/bench-tools/bin/backlint)
#         BASELINE=path  another backlint binary (an older build) run in
#                        every round too, to compare two builds under the
#                        same conditions
# Needs:  the binaries and corpus benches/compare.sh leaves behind
#         (target/bench-tools/bin/{backlint,parse_floor}, target/corpus);
#         run it once first (SKIP_INSTALL=1 ONLY=parse-floor is enough).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=${ROUNDS:-5}
LANGS=${LANGS:-python javascript rust}
BIN=$ROOT/target/bench-tools/bin
BACKLINT=$(realpath "${BACKLINT:-$BIN/backlint}")
TOOLS=$ROOT/target/bench-tools
CORPUS=$ROOT/target/corpus
OUT=$ROOT/target/bench-results
mkdir -p "$OUT"
TSV=$OUT/floor-ratio.tsv

for need in "$BACKLINT" "$BIN/parse_floor"; do
  [[ -x $need ]] || { echo "floor-ratio: $need is missing; run benches/compare.sh first" >&2; exit 2; }
done

# Wall seconds of one run of "$@" in the current directory.
wall() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}

printf 'corpus\tround\tcommand\tseconds\n' >"$TSV"
for lang in $LANGS; do
  dir=$CORPUS/$lang
  [[ -d $dir ]] || { echo "floor-ratio: no corpus $dir" >&2; continue; }
  find "$dir" -type f -print0 | xargs -0 cat >/dev/null
  # The floor twice: parsing with the C allocator, as any tree-sitter
  # program does, and into the per-thread arena, as backlint does
  # (mechanism 31 in docs/benchmarks.md).
  names=(parse-floor parse-floor-arena backlint)
  cmds=("$BIN/parse_floor ." "$BIN/parse_floor --arena ." "$BACKLINT check --no-cache --format json --quiet --fail-on error .")
  # benches/peers has ast-grep rules for Python and JavaScript/TypeScript.
  if [[ -n ${BASELINE:-} ]]; then
    names+=(baseline)
    cmds+=("$(realpath "$BASELINE") check --no-cache --format json --quiet --fail-on error .")
  fi
  if [[ $lang != rust && -x $TOOLS/venv/bin/ast-grep && -f $TOOLS/ast-grep/sgconfig.yml ]]; then
    names+=(ast-grep)
    cmds+=("$TOOLS/venv/bin/ast-grep scan -c $TOOLS/ast-grep/sgconfig.yml --json=compact .")
  fi
  n=${#names[@]}
  for round in $(seq "$ROUNDS"); do
    for k in $(seq 0 $((n - 1))); do
      i=$(((k + round) % n))
      # shellcheck disable=SC2086 # the command strings are split on purpose
      s=$(cd "$dir" && wall ${cmds[$i]})
      printf '%s\t%s\t%s\t%s\n' "$lang" "$round" "${names[$i]}" "$s" >>"$TSV"
    done
  done
done

python3 - "$TSV" <<'EOF'
import collections, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
runs = collections.defaultdict(dict)
for corpus, rnd, name, secs in rows:
    runs[corpus].setdefault(int(rnd), {})[name] = float(secs)
print("| corpus | parse floor s (median) | backlint s (median) | backlint / floor per round: median (min–max) | backlint / arena floor | baseline / floor | ast-grep / floor |")
print("|---|---|---|---|---|---|---|")
for corpus, rounds in runs.items():
    by = lambda name: [r[name] for r in rounds.values() if name in r]
    ratio = lambda name: [r[name] / r["parse-floor"] for r in rounds.values() if name in r]
    bl = ratio("backlint")
    other = lambda name: "%.2f×" % statistics.median(ratio(name)) if ratio(name) else "—"
    arena = [r["backlint"] / r["parse-floor-arena"] for r in rounds.values() if "parse-floor-arena" in r]
    print("| %s | %.2f | %.2f | %.2f× (%.2f–%.2f) | %s | %s | %s |" % (
        corpus, statistics.median(by("parse-floor")), statistics.median(by("backlint")),
        statistics.median(bl), min(bl), max(bl),
        "%.2f×" % statistics.median(arena) if arena else "—", other("baseline"), other("ast-grep")))
EOF
echo "rounds: $TSV"
