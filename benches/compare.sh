#!/usr/bin/env bash
# Side-by-side speed and memory benchmark of backlint against its peers on
# the real-code corpus (scripts/corpus.sh). Run by hand, never in CI: it
# installs tools from the registries, takes tens of minutes and its numbers
# depend on the machine. Results go to docs/benchmarks.md (by hand).
#
# What it does:
#   1. installs pinned peers into target/bench-tools: a venv from PyPI (ruff,
#      bandit, semgrep, ast-grep-cli) and npm packages (oxlint, eslint,
#      eslint-plugin-security); a peer that cannot be installed is reported
#      and skipped;
#   2. builds the corpus (scripts/corpus.sh), backlint (release) and the
#      parse-floor bench (benches/parse_floor.rs), both as `cargo build
#      --release` makes them and again with profile-guided optimisation of the C code
#      (scripts/build-pgo.sh; the rows without a suffix are that build, the
#      `-plain` rows the other), and freezes copies of the binaries so a
#      rebuild during the run cannot change them;
#   3. derives the inputs for the scaling runs: the built-in rules duplicated
#      x5 under new ids (target/bench-rules/x5, with an x1 copy for a fair
#      baseline) and the corpus copied three times (target/corpus-x3);
#   4. measures every command: one checked run first (exit code, peak RSS,
#      warm page cache), then RUNS timed runs with hyperfine (or a
#      /usr/bin/time loop without it); median, min, max wall time and the
#      highest peak RSS go to target/bench-results/results.tsv;
#   5. runs the criterion bench lint_throughput (parse-only vs all rules)
#      unless SKIP_CRITERION=1;
#   6. prints target/bench-results/summary.md: tables per corpus with lines/s
#      and the ratio to backlint's full cold run.
#
# Usage:  benches/compare.sh
# Env:    RUNS=3          timed runs per command (after the checked run)
#         SLOW_RUNS=1     timed runs for the slow peers (semgrep, bandit, eslint)
#         LANGS="python javascript rust"
#         SKIP_INSTALL=1  use the tools already in target/bench-tools
#         SKIP_CRITERION=1
#         SKIP_BUILD=1    reuse the binaries frozen in target/bench-tools/bin
#         ONLY="backlint semgrep …"  measure only these ids (see measure calls)
#         PGO=0           measure the plain build only (no -plain rows)
# Needs:  cargo, python3 (venv, pip), npm, apt-get for hyperfine and time
#         when missing (root).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RUNS="${RUNS:-3}"
SLOW_RUNS="${SLOW_RUNS:-1}"
LANGS="${LANGS:-python javascript rust}"
TOOLS="$ROOT/target/bench-tools"
OUT="$ROOT/target/bench-results"
CORPUS="$ROOT/target/corpus"
CORPUS_X3="$ROOT/target/corpus-x3"
RULES_DIR="$ROOT/target/bench-rules"
PEERS="$ROOT/benches/peers"

# Pinned peer versions (the newest on the registries on 2026-11-21).
PYPI_PEERS=(ruff==0.17.6 bandit==1.9.4 semgrep==1.182.0 ast-grep-cli==0.51.1)
NPM_PEERS=(oxlint@1.94.0 eslint@10.15.0 eslint-plugin-security@4.1.0)

VENV="$TOOLS/venv"
NODE="$TOOLS/node"
BIN="$TOOLS/bin"
mkdir -p "$TOOLS" "$OUT/logs" "$OUT/json" "$BIN"
RESULTS="$OUT/results.tsv"
printf 'id\tcorpus\ttool\truns\tmedian_s\tmin_s\tmax_s\tpeak_rss_kb\tstatus\n' >"$RESULTS"

say() { printf '== %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }

# --- 1. tools ----------------------------------------------------------------
apt_updated=0
apt_install() { # apt_install PACKAGE: installs it once, reports failure
  if [[ $apt_updated == 0 ]]; then
    apt-get update -qq >/dev/null 2>&1 || warn "apt-get update failed"
    apt_updated=1
  fi
  apt-get install -y -qq "$1" >/dev/null 2>&1 || warn "apt-get install $1 failed"
}
[[ -x /usr/bin/time ]] || apt_install time
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time is required" >&2; exit 1; }
command -v hyperfine >/dev/null || apt_install hyperfine
command -v hyperfine >/dev/null || warn "no hyperfine: timing with a /usr/bin/time loop"

if [[ "${SKIP_INSTALL:-0}" != 1 ]]; then
  say "installing peers into $TOOLS"
  [[ -x "$VENV/bin/pip" ]] || python3 -m venv "$VENV" || warn "cannot create a venv"
  for spec in "${PYPI_PEERS[@]}"; do
    "$VENV/bin/pip" install --quiet "$spec" >>"$OUT/logs/install.log" 2>&1 \
      || warn "pip install $spec failed (see $OUT/logs/install.log); skipping it"
  done
  mkdir -p "$NODE"
  [[ -f "$NODE/package.json" ]] || echo '{"private": true}' >"$NODE/package.json"
  for spec in "${NPM_PEERS[@]}"; do
    (cd "$NODE" && npm install --silent --no-audit --no-fund "$spec") >>"$OUT/logs/install.log" 2>&1 \
      || warn "npm install $spec failed (see $OUT/logs/install.log); skipping it"
  done
fi
# Peer configurations live in benches/peers; some must sit next to the tools.
cp "$PEERS/eslint.config.mjs" "$NODE/eslint.config.mjs" 2>/dev/null || true
rm -rf "$TOOLS/ast-grep" && cp -r "$PEERS/ast-grep" "$TOOLS/ast-grep"
# An ast-grep rule has one language: the TypeScript rules are the JavaScript
# ones with the language (and id) swapped.
sed -e 's/^language: JavaScript$/language: TypeScript/' -e 's/^id: bench-js-/id: bench-ts-/' \
  "$TOOLS/ast-grep/rules/javascript.yml" >"$TOOLS/ast-grep/rules/typescript.yml"

have() { [[ -x "$1" ]] || { warn "$(basename "$1") is not installed: skipped"; return 1; }; }

# --- 2. corpus and binaries ----------------------------------------------------
say "corpus"
scripts/corpus.sh >"$OUT/logs/corpus.log" 2>&1 || { echo "error: scripts/corpus.sh failed (see $OUT/logs/corpus.log)" >&2; exit 1; }

if [[ "${SKIP_BUILD:-0}" != 1 || ! -x "$BIN/backlint" ]]; then
# The floor is built from the same C objects as the backlint it is compared
# with, so both get (or both lack) the profile-guided build.
say "building backlint (release) and the parse-floor bench without PGO"
cargo build --release --quiet || { echo "error: cargo build --release failed" >&2; exit 1; }
floor_exe=$(cargo bench --bench parse_floor --no-run --message-format=json 2>>"$OUT/logs/build.log" | python3 scripts/cargo-executable.py parse_floor)
rm -f "$BIN/backlint" "$BIN/parse_floor" "$BIN/backlint-plain" "$BIN/parse_floor-plain"
if [[ "${PGO:-1}" == 1 ]]; then
  cp target/release/backlint "$BIN/backlint-plain"
  [[ -n "$floor_exe" ]] && cp "$floor_exe" "$BIN/parse_floor-plain"
  say "building both again with profile-guided optimisation (scripts/build-pgo.sh)"
  pgo_dir="$ROOT/target/pgo"
  PGO_TARGET_DIR="$pgo_dir" scripts/build-pgo.sh --floor >"$OUT/logs/pgo.log" 2>&1 \
    || { echo "error: scripts/build-pgo.sh failed (see $OUT/logs/pgo.log)" >&2; exit 1; }
  grep -q '^profile-guided' "$pgo_dir/pgo.status" \
    || warn "scripts/build-pgo.sh made a plain build ($(cat "$pgo_dir/pgo.status")): the rows without a suffix are not profile-guided"
  cp "$pgo_dir/release/backlint" "$BIN/backlint"
  floor_exe=$(cat "$pgo_dir/parse_floor.path")
else
  cp target/release/backlint "$BIN/backlint"
fi
[[ -n "$floor_exe" && -x "$floor_exe" ]] && cp "$floor_exe" "$BIN/parse_floor" || warn "parse_floor bench did not build"
fi
BACKLINT="$BIN/backlint"
if "$BACKLINT" check --help | grep -q -- '--no-cache'; then HAS_CACHE=1; else HAS_CACHE=0; fi

# --- 3. derived inputs ---------------------------------------------------------
say "rule sets x1 / x5 and corpus x3"
rm -rf "$RULES_DIR" && mkdir -p "$RULES_DIR/x1" "$RULES_DIR/x5"
while IFS= read -r -d '' rule; do
  mkdir -p "$RULES_DIR/x1/$(dirname "${rule#rules/}")"
  cp "$rule" "$RULES_DIR/x1/${rule#rules/}"
done < <(find rules -name '*.yaml' -print0)
for copy in 1 2 3 4 5; do
  while IFS= read -r -d '' rule; do
    rel="${rule#rules/}"
    # Taint libraries (`library: <name>`) are shared by name: one copy of
    # each, used by the rules of all five copies.
    if [[ $copy != 1 ]] && grep -q '^library:' "$rule"; then continue; fi
    dest="$RULES_DIR/x5/copy$copy/${rel%.yaml}-copy$copy.yaml"
    mkdir -p "$(dirname "$dest")"
    sed -E "s/^id: (.*)$/id: \\1-copy$copy/" "$rule" >"$dest"
  done < <(find rules -name '*.yaml' -print0)
done
if [[ ! -d "$CORPUS_X3" ]]; then
  for lang in python javascript rust; do
    for copy in 1 2 3; do
      mkdir -p "$CORPUS_X3/$lang/copy$copy"
      cp -r "$CORPUS/$lang/." "$CORPUS_X3/$lang/copy$copy/"
    done
  done
fi

# Lines of source code per corpus, counted the plain way.
declare -A EXTS=(
  [python]='py|pyi'
  [javascript]='js|jsx|mjs|cjs|ts|tsx|mts|cts'
  [rust]='rs'
)
count_lines() { # count_lines DIR LANG
  find "$1" -type f -regextype posix-extended -regex ".*\\.(${EXTS[$2]})" -not -path '*/node_modules/*' -print0 \
    | xargs -0 cat | wc -l
}

# --- 4. measuring --------------------------------------------------------------
# measure ID CORPUS TOOL RUNS DIR CMD...: runs CMD in DIR; records a row.
measure() {
  local id=$1 corpus=$2 tool=$3 runs=$4 dir=$5
  shift 5
  if [[ -n "${ONLY:-}" && " $ONLY " != *" $id "* ]]; then return 0; fi
  local log="$OUT/logs/$corpus.$id.log" rss="$OUT/logs/$corpus.$id.rss"
  local cmd
  cmd=$(printf '%q ' "$@")
  say "$corpus: $id ($runs run(s)): $cmd"
  : >"$rss"
  (cd "$dir" && /usr/bin/time -a -o "$rss" -f '%M %x' "$@" >/dev/null 2>"$log")
  local code
  code=$(tail -n1 "$rss" | awk '{print $2}')
  if [[ -z "$code" || "$code" -gt 1 ]]; then
    warn "$id on $corpus failed (exit ${code:-?}; see $log)"
    printf '%s\t%s\t%s\t0\t\t\t\t\tfailed (exit %s)\n' "$id" "$corpus" "$tool" "${code:-?}" >>"$RESULTS"
    return 1
  fi
  local stats
  if command -v hyperfine >/dev/null; then
    (cd "$dir" && hyperfine --runs "$runs" --ignore-failure --style none \
      --export-json "$OUT/json/$corpus.$id.json" \
      "/usr/bin/time -a -o $(printf '%q' "$rss") -f '%M %x' $cmd" >>"$log" 2>&1)
    stats=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.3f\t%.3f\t%.3f" % (r["median"], r["min"], r["max"]))' "$OUT/json/$corpus.$id.json")
  else
    local times=()
    for _ in $(seq "$runs"); do
      local t0 t1
      t0=$(date +%s.%N)
      (cd "$dir" && /usr/bin/time -a -o "$rss" -f '%M %x' "$@" >/dev/null 2>>"$log")
      t1=$(date +%s.%N)
      times+=("$(echo "$t1 - $t0" | bc)")
    done
    stats=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f\t%.3f\t%.3f", a[int((NR+1)/2)], a[1], a[NR]}')
  fi
  local peak
  peak=$(grep -E '^[0-9]+ ' "$rss" | awk '$1 > m {m = $1} END {print m}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\tok\n' "$id" "$corpus" "$tool" "$runs" "$stats" "$peak" >>"$RESULTS"
}

declare -A LINES
for lang in $LANGS; do
  LINES[$lang]=$(count_lines "$CORPUS/$lang" "$lang")
  LINES[$lang-x3]=$(count_lines "$CORPUS_X3/$lang" "$lang")
done

check_args=(check --format json --quiet --fail-on error)
bl=("$BACKLINT" "${check_args[@]}")
bl_plain=("$BIN/backlint-plain" "${check_args[@]}")
# NAMED_RUN LIST CMD...: CMD with the paths of LIST appended, in batches
# run one after another (xargs). Exits 1 when a batch reported findings,
# 2 when one failed (exit code above 1: an error, a panic), which stops it.
NAMED_RUN="$OUT/named-run.sh"
cat >"$NAMED_RUN" <<'SH'
#!/usr/bin/env bash
list=$1
shift
xargs -r -d '\n' -a "$list" sh -c '"$@"; c=$?; [ "$c" -gt 1 ] && exit 255; exit "$c"' named-run "$@"
case $? in
  0) exit 0 ;;
  123) exit 1 ;;
  *) exit 2 ;;
esac
SH
chmod +x "$NAMED_RUN"
cold=()
[[ $HAS_CACHE == 1 ]] && cold=(--no-cache)

for lang in $LANGS; do
  dir="$CORPUS/$lang"
  # Warm the page cache so the first tool does not pay for the disk.
  find "$dir" -type f -print0 | xargs -0 cat >/dev/null
  # Without a .semgrepignore at its project root, semgrep skips test/ and
  # tests/ folders (469 test files of Twisted, Tornado and Django in the
  # Python corpus); this one, with --project-root, makes it scan what the others do.
  echo '# benches/compare.sh: scan everything, tests included' >"$dir/.semgrepignore"

  # backlint itself.
  [[ -x "$BIN/parse_floor" ]] && measure parse-floor "$lang" "tree-sitter parse only (walk+read+parse)" "$RUNS" "$dir" "$BIN/parse_floor" .
  [[ -x "$BIN/parse_floor" ]] && measure parse-floor-visit "$lang" "tree-sitter parse + a cursor visit of every node" "$RUNS" "$dir" "$BIN/parse_floor" --visit .
  [[ -x "$BIN/parse_floor" ]] && measure parse-floor-arena "$lang" "tree-sitter parse into backlint's per-thread arena (mechanism 31)" "$RUNS" "$dir" "$BIN/parse_floor" --arena .
  measure backlint "$lang" "backlint, all rules, cold" "$RUNS" "$dir" "${bl[@]}" "${cold[@]}" .
  if [[ "${PGO:-1}" == 1 && -x "$BIN/backlint-plain" ]]; then
    measure backlint-plain "$lang" "backlint built without PGO (cargo build --release), all rules, cold" "$RUNS" "$dir" "${bl_plain[@]}" "${cold[@]}" .
    [[ -x "$BIN/parse_floor-plain" ]] && measure parse-floor-plain "$lang" "tree-sitter parse only, built without PGO" "$RUNS" "$dir" "$BIN/parse_floor-plain" .
  fi
  measure backlint-one-rule "$lang" "backlint --select hardcoded-secret (unanchored: parses every file)" "$RUNS" "$dir" "${bl[@]}" "${cold[@]}" --select hardcoded-secret .
  measure backlint-jobs1 "$lang" "backlint --jobs 1" "$RUNS" "$dir" "${bl[@]}" "${cold[@]}" --jobs 1 .
  measure backlint-jobs2 "$lang" "backlint --jobs 2" "$RUNS" "$dir" "${bl[@]}" "${cold[@]}" --jobs 2 .
  measure backlint-rules-x1 "$lang" "backlint --no-builtin --rules x1 copy" "$RUNS" "$dir" "${bl[@]}" "${cold[@]}" --no-builtin --rules "$RULES_DIR/x1" .
  measure backlint-rules-x5 "$lang" "backlint --no-builtin --rules x5 copies" "$RUNS" "$dir" "${bl[@]}" "${cold[@]}" --no-builtin --rules "$RULES_DIR/x5" .
  measure backlint-corpus-x3 "$lang-x3" "backlint, all rules, corpus x3" 1 "$CORPUS_X3/$lang" "${bl[@]}" "${cold[@]}" .
  if [[ $HAS_CACHE == 1 && ( -z "${ONLY:-}" || " $ONLY " == *" backlint-warm "* ) ]]; then
    cache="$OUT/cache/$lang"
    rm -rf "$cache"
    # Fill the cache from the same directory and path as the timed runs:
    # the key includes the displayed path.
    (cd "$dir" && "${bl[@]}" --cache-dir "$cache" . >/dev/null 2>&1)
    measure backlint-warm "$lang" "backlint, warm cache" "$RUNS" "$dir" "${bl[@]}" --cache-dir "$cache" .
  fi
  # As `pre-commit run --all-files` runs it: every source file named, in
  # command lines of xargs's default size (pre-commit also batches), warm.
  # The list comes from `find`: named files are linted even where an
  # ignore file or the configuration would exclude them.
  if [[ $HAS_CACHE == 1 && ( -z "${ONLY:-}" || " $ONLY " == *" backlint-named-warm "* ) ]]; then
    named="$OUT/named/$lang.txt"
    mkdir -p "$OUT/named"
    (cd "$dir" && find . -type f -regextype posix-extended -regex ".*\\.(${EXTS[$lang]})" -not -path '*/node_modules/*' | sort >"$named")
    cache="$OUT/cache/$lang-named"
    rm -rf "$cache"
    (cd "$dir" && "$NAMED_RUN" "$named" "${bl[@]}" --cache-dir "$cache" >/dev/null 2>&1)
    measure backlint-named-warm "$lang" "backlint, warm cache, each source file named (pre-commit --all-files)" "$RUNS" "$dir" \
      "$NAMED_RUN" "$named" "${bl[@]}" --cache-dir "$cache"
  fi

  # Peers.
  case $lang in
  python)
    if have "$VENV/bin/ruff"; then
      measure ruff "$lang" "ruff check (default rules), no cache" "$RUNS" "$dir" "$VENV/bin/ruff" check --no-cache --exit-zero --quiet .
      measure ruff-S "$lang" "ruff check --select S, no cache" "$RUNS" "$dir" "$VENV/bin/ruff" check --no-cache --exit-zero --quiet --select S .
      rm -rf "$OUT/ruff-cache"
      "$VENV/bin/ruff" check --cache-dir "$OUT/ruff-cache" --exit-zero --quiet --select S "$dir" >/dev/null 2>&1
      measure ruff-S-warm "$lang" "ruff check --select S, warm cache" "$RUNS" "$dir" "$VENV/bin/ruff" check --cache-dir "$OUT/ruff-cache" --exit-zero --quiet --select S .
    fi
    have "$VENV/bin/bandit" && measure bandit "$lang" "bandit -r (all plugins)" "$SLOW_RUNS" "$dir" "$VENV/bin/bandit" -r -q -f json -o /dev/null .
    have "$VENV/bin/semgrep" && measure semgrep "$lang" "semgrep, 10 rules (benches/peers)" "$SLOW_RUNS" "$dir" \
      "$VENV/bin/semgrep" scan --metrics=off --disable-version-check --no-git-ignore --project-root . --max-target-bytes 2097152 \
      --config "$PEERS/semgrep/python.yaml" --json -q -o /dev/null .
    have "$VENV/bin/ast-grep" && measure ast-grep "$lang" "ast-grep scan, 10 rules (benches/peers)" "$RUNS" "$dir" \
      "$VENV/bin/ast-grep" scan -c "$TOOLS/ast-grep/sgconfig.yml" --json=compact .
    ;;
  javascript)
    # oxlint honours the .gitignore of the enclosing repository (target/)
    # even with --no-ignore, and would lint nothing: give it a path outside.
    outside="${TMPDIR:-/tmp}/backlint-bench-corpus"
    mkdir -p "$outside" && ln -sfn "$dir" "$outside/$lang"
    have "$NODE/node_modules/.bin/oxlint" && measure oxlint "$lang" "oxlint (default rules)" "$RUNS" "$outside" \
      "$NODE/node_modules/.bin/oxlint" --quiet "$outside/$lang/"
    have "$NODE/node_modules/.bin/eslint" && measure eslint "$lang" "eslint + security recommended (JS files only)" "$SLOW_RUNS" "$dir" \
      "$NODE/node_modules/.bin/eslint" --config "$NODE/eslint.config.mjs" --format json -o /dev/null .
    have "$VENV/bin/semgrep" && measure semgrep "$lang" "semgrep, 10 rules (benches/peers)" "$SLOW_RUNS" "$dir" \
      "$VENV/bin/semgrep" scan --metrics=off --disable-version-check --no-git-ignore --project-root . --max-target-bytes 2097152 \
      --config "$PEERS/semgrep/javascript.yaml" --json -q -o /dev/null .
    have "$VENV/bin/ast-grep" && measure ast-grep "$lang" "ast-grep scan, 10 rules x JS+TS (benches/peers)" "$RUNS" "$dir" \
      "$VENV/bin/ast-grep" scan -c "$TOOLS/ast-grep/sgconfig.yml" --json=compact .
    ;;
  rust) ;; # no peer here runs an equivalent rule set on Rust
  esac
done

# --- 5. criterion: parse-only vs all rules on small repeated inputs -------------
if [[ "${SKIP_CRITERION:-0}" != 1 ]]; then
  say "criterion bench lint_throughput"
  cargo bench --bench lint_throughput >"$OUT/logs/criterion.log" 2>&1 || warn "cargo bench lint_throughput failed"
fi

# --- 6. summary ------------------------------------------------------------------
lines_file="$OUT/lines.tsv"
: >"$lines_file"
for key in "${!LINES[@]}"; do printf '%s\t%s\n' "$key" "${LINES[$key]}" >>"$lines_file"; done
python3 - "$RESULTS" "$lines_file" "$OUT/logs/criterion.log" >"$OUT/summary.md" <<'EOF'
import re, sys
results, lines_file, criterion = sys.argv[1:4]
lines = dict(l.rstrip("\n").split("\t") for l in open(lines_file) if l.strip())
rows = [l.rstrip("\n").split("\t") for l in open(results)][1:]
base = {r[1]: float(r[4]) for r in rows if r[0] == "backlint" and r[8] == "ok"}
for corpus in dict.fromkeys(r[1] for r in rows):
    n = int(lines.get(corpus, 0))
    print(f"\n### {corpus} ({n:,} lines)\n")
    print("| command | runs | median s (min–max) | lines/s | peak RSS MB | × backlint |")
    print("|---|---|---|---|---|---|")
    ref = base.get(corpus) or base.get(corpus.removesuffix("-x3"))
    for r in rows:
        if r[1] != corpus:
            continue
        if r[8] != "ok":
            print(f"| {r[2]} | – | {r[8]} | | | |")
            continue
        med = float(r[4])
        ratio = f"{med / ref:.2f}" if ref else ""
        rate = f"{n / med:,.0f}" if med else ""
        print(f"| {r[2]} | {r[3]} | {med:.2f} ({float(r[5]):.2f}–{float(r[6]):.2f}) | {rate} | {int(r[7]) / 1024:.0f} | {ratio} |")
try:
    text = open(criterion).read()
except OSError:
    text = ""
found = re.findall(r"(lint/[\w-]+/\w+)\s+time:\s+\[([^\]]+)\]", text)
if found:
    print("\n### criterion lint_throughput (512 KiB per language)\n")
    print("| bench | time (low, estimate, high) |")
    print("|---|---|")
    for name, t in found:
        print(f"| {name} | {t} |")
EOF
cat "$OUT/summary.md"
echo "results: $RESULTS; logs: $OUT/logs" >&2
