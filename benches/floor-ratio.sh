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
#         SEMGREP=1      run semgrep with the ten rules of benches/peers
#                        in every round too (Python and JavaScript/
#                        TypeScript; 30–100 s a run) and give semgrep /
#                        backlint and semgrep / floor per round
#         PLAIN=0        leave out the builds without PGO; by default, when
#                        compare.sh froze them (backlint-plain,
#                        parse_floor-plain), every round runs them too and
#                        the table gives their ratio, plain to plain, and
#                        the time of the profile-guided build against them
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

# Wall seconds of one run of "$@" in the current directory, or "failed"
# (with a warning) when it exits with a status above 1: 1 only means
# findings for the linters, while a crash must not count as a fast run.
wall() {
  local t0 t1 status
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  status=$?
  t1=$(date +%s.%N)
  if ((status > 1)); then
    echo "floor-ratio: exit status $status from: $*" >&2
    echo failed
    return
  fi
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
  check="check --no-cache --format json --quiet --fail-on error ."
  names=(parse-floor parse-floor-arena backlint)
  cmds=("$BIN/parse_floor ." "$BIN/parse_floor --arena ." "$BACKLINT $check")
  # benches/peers has ast-grep rules for Python and JavaScript/TypeScript.
  if [[ -n ${BASELINE:-} ]]; then
    names+=(baseline)
    cmds+=("$(realpath "$BASELINE") $check")
  fi
  if [[ $lang != rust && -x $TOOLS/venv/bin/ast-grep && -f $TOOLS/ast-grep/sgconfig.yml ]]; then
    names+=(ast-grep)
    cmds+=("$TOOLS/venv/bin/ast-grep scan -c $TOOLS/ast-grep/sgconfig.yml --json=compact .")
  fi
  if [[ ${SEMGREP:-0} == 1 && $lang != rust && -x $TOOLS/venv/bin/semgrep ]]; then
    names+=(semgrep)
    cmds+=("$TOOLS/venv/bin/semgrep scan --metrics=off --disable-version-check --no-git-ignore --project-root . --max-target-bytes 2097152 --config $ROOT/benches/peers/semgrep/$lang.yaml --json -q -o /dev/null .")
  fi
  if [[ ${PLAIN:-1} == 1 && -x $BIN/backlint-plain && -x $BIN/parse_floor-plain ]]; then
    names+=(parse-floor-plain backlint-plain)
    cmds+=("$BIN/parse_floor-plain ." "$BIN/backlint-plain $check")
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
    # A failed run is left out of its round: ratios with it are skipped.
    if secs != "failed":
        runs[corpus].setdefault(int(rnd), {})[name] = float(secs)
print("| corpus | parse floor s (median) | backlint s (median) | backlint / floor per round: median (min–max) | backlint / arena floor | baseline / floor | ast-grep / floor | plain / plain floor | backlint / plain | semgrep / backlint | semgrep / floor |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for corpus, rounds in runs.items():
    by = lambda name: [r[name] for r in rounds.values() if name in r]
    ratio = lambda name: [r[name] / r["parse-floor"] for r in rounds.values() if name in r and "parse-floor" in r]
    bl = ratio("backlint")
    other = lambda name: "%.2f×" % statistics.median(ratio(name)) if ratio(name) else "—"
    pair = lambda a, b: [r[a] / r[b] for r in rounds.values() if a in r and b in r]
    arena = pair("backlint", "parse-floor-arena")
    spread = lambda xs: "%.2f× (%.2f–%.2f)" % (statistics.median(xs), min(xs), max(xs)) if xs else "—"
    secs = lambda name: "%.2f" % statistics.median(by(name)) if by(name) else "—"
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        corpus, secs("parse-floor"), secs("backlint"), spread(bl),
        "%.2f×" % statistics.median(arena) if arena else "—", other("baseline"), other("ast-grep"),
        spread(pair("backlint-plain", "parse-floor-plain")), spread(pair("backlint", "backlint-plain")),
        spread(pair("semgrep", "backlint")), spread(ratio("semgrep"))))
EOF
echo "rounds: $TSV"
