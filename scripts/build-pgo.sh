#!/usr/bin/env bash
# Release build of backlint with profile-guided optimisation (PGO) of its C
# code: tree-sitter's runtime, the grammars' generated parsers and external
# scanners, and src/lang/flatten.c. Parsing is most of a cold run, and the
# parsers are large switch statements whose branch layout gcc can only
# guess; a recorded profile tells it which way they go.
#
#   1. builds backlint with gcc's instrumentation (-fprofile-generate);
#   2. lints this repository's own files with it (fixtures/, examples/,
#      src/, tests/, benches/: code in every language backlint reads), which
#      writes the branch counts (.gcda files) beside the objects;
#   3. rebuilds the C with those counts (-fprofile-use), in the same target
#      directory so that each object finds its own counts. Code the training
#      never ran is optimised as usual (-fprofile-partial-training), not
#      for size.
#
# The training set is part of the repository, never the benchmark corpus.
# The Rust code is built as by `cargo build --release`.
#
# Usage:  scripts/build-pgo.sh            # -> target/pgo/release/backlint
#         scripts/build-pgo.sh --install  # and `cargo install` that build
#         scripts/build-pgo.sh --floor    # and the parse-floor bench, built
#                                         # from the same objects (its path
#                                         # is printed last)
# Env:    PGO_TARGET_DIR (default target/pgo). CFLAGS is extended, not
#         replaced; with no CFLAGS the define of .cargo/config.toml is used.
#         RUSTFLAGS is extended too.
# Needs:  gcc 10 or later as the C compiler (cc). With another compiler, or
#         if a step of the profile-guided build fails, it falls back to a
#         plain release build, says so, and writes which build it made to
#         $PGO_TARGET_DIR/pgo.status.
set -euo pipefail
cd "$(dirname "$0")/.."

INSTALL=0
FLOOR=0
for arg in "$@"; do
  case "$arg" in
    --install) INSTALL=1 ;;
    --floor) FLOOR=1 ;;
    *) echo "usage: scripts/build-pgo.sh [--install] [--floor]" >&2; exit 2 ;;
  esac
done

export CARGO_TARGET_DIR="${PGO_TARGET_DIR:-$PWD/target/pgo}"
mkdir -p "$CARGO_TARGET_DIR"
BASE_CFLAGS="${CFLAGS:--DTREE_SITTER_REUSE_ALLOCATOR}"
USER_RUSTFLAGS="${RUSTFLAGS:-}"
# The instrumented objects call libgcov; the Rust linker is not told so by
# the cc crate. The flag stays in both phases: a change of RUSTFLAGS would
# rebuild every crate (and move the build scripts' output directories, where
# the counts are), and libgcov adds nothing to a binary that needs none of it.
export RUSTFLAGS="$USER_RUSTFLAGS -C link-arg=-lgcov"
BIN="$CARGO_TARGET_DIR/release/backlint"
# One line saying which build this is, for benches/compare.sh.
STATUS_FILE="$CARGO_TARGET_DIR/pgo.status"
PGO_USE_FLAGS="$BASE_CFLAGS -fprofile-use -fprofile-partial-training -fprofile-correction -Wno-missing-profile"

say() { printf '== %s\n' "$*" >&2; }

# Falls back to the build `cargo build --release` makes, and says why.
plain_build() {
  say "building without PGO: $1"
  echo "plain: $1" >"$STATUS_FILE"
  export RUSTFLAGS="$USER_RUSTFLAGS"
  PGO_USE_FLAGS="$BASE_CFLAGS"
  CFLAGS="$BASE_CFLAGS" cargo build --release --locked
}

pgo_build() {
  # Counts from an older build would be merged into the new ones.
  find "$CARGO_TARGET_DIR" -name '*.gcda' -delete
  say "1/3 instrumented build"
  CFLAGS="$BASE_CFLAGS -fprofile-generate -fprofile-update=atomic" cargo build --release --locked ||
    return 1
  say "2/3 training run on the repository's own files"
  local status=0
  "$BIN" check --quiet --no-cache --format json fixtures examples src tests benches >/dev/null || status=$?
  # 1 means findings, which the fixtures are full of.
  if [[ $status -gt 1 ]]; then
    say "the training run exited with $status"
    return 1
  fi
  local count
  count=$(find "$CARGO_TARGET_DIR" -name '*.gcda' | wc -l)
  say "   $count profile files"
  [[ $count -gt 0 ]] || return 1
  say "3/3 optimised build"
  CFLAGS="$PGO_USE_FLAGS" cargo build --release --locked || return 1
  echo "profile-guided: $count profile files" >"$STATUS_FILE"
}

compiler_version=$("${CC:-cc}" --version 2>/dev/null || true)
if ! grep -qi 'gcc\|free software foundation' <<<"$compiler_version"; then
  plain_build "the C compiler is not gcc"
elif ! pgo_build; then
  plain_build "the profile-guided build failed (see above)"
fi

if [[ $FLOOR == 1 ]]; then
  CFLAGS="$PGO_USE_FLAGS" cargo bench --locked --bench parse_floor --no-run --message-format=json \
    | python3 scripts/cargo-executable.py parse_floor >"$CARGO_TARGET_DIR/parse_floor.path"
fi

if [[ $INSTALL == 1 ]]; then
  say "installing"
  # Same target directory, flags and profile: cargo reuses the build above
  # rather than compiling again.
  CFLAGS="$PGO_USE_FLAGS" cargo install --locked --path . --target-dir "$CARGO_TARGET_DIR"
  installed="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin/backlint"
  if [[ -x $installed ]] && ! cmp -s "$installed" "$BIN"; then
    say "warning: the installed $installed differs from $BIN"
  fi
fi

say "built $BIN ($(cat "$STATUS_FILE"))"
if [[ $FLOOR == 1 ]]; then
  cat "$CARGO_TARGET_DIR/parse_floor.path"
fi
