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
# Needs:  gcc as the C compiler (cc). With another compiler, or if the
#         instrumented build fails, it falls back to a plain release build
#         and says so.
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
BASE_CFLAGS="${CFLAGS:--DTREE_SITTER_REUSE_ALLOCATOR}"
# The instrumented objects call libgcov; the Rust linker is not told so by
# the cc crate. The flag stays in both phases: a change of RUSTFLAGS would
# rebuild every crate, and libgcov adds nothing to a binary that needs none
# of it.
export RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-lgcov"
BIN="$CARGO_TARGET_DIR/release/backlint"

say() { printf '== %s\n' "$*" >&2; }

plain_build() {
  say "building without PGO: $1"
  unset RUSTFLAGS
  CFLAGS="$BASE_CFLAGS" cargo build --release --locked
  PGO_USE_FLAGS="$BASE_CFLAGS"
}

PGO_USE_FLAGS="$BASE_CFLAGS -fprofile-use -fprofile-partial-training -fprofile-correction -Wno-missing-profile"

if ! "${CC:-cc}" --version 2>/dev/null | grep -qi 'gcc\|free software foundation'; then
  plain_build "the C compiler is not gcc"
else
  # Counts from an older build would be merged into the new ones.
  find "$CARGO_TARGET_DIR" -name '*.gcda' -delete 2>/dev/null || true
  say "1/3 instrumented build"
  if ! CFLAGS="$BASE_CFLAGS -fprofile-generate -fprofile-update=atomic" cargo build --release --locked; then
    plain_build "the instrumented build failed"
  else
    say "2/3 training run on the repository's own files"
    status=0
    "$BIN" check --quiet --no-cache --format json fixtures examples src tests benches >/dev/null || status=$?
    # 1 means findings, which the fixtures are full of.
    if [[ $status -gt 1 ]]; then
      echo "error: the training run exited with $status" >&2
      exit 1
    fi
    count=$(find "$CARGO_TARGET_DIR" -name '*.gcda' | wc -l)
    say "   $count profile files"
    say "3/3 optimised build"
    CFLAGS="$PGO_USE_FLAGS" cargo build --release --locked
  fi
fi

if [[ $FLOOR == 1 ]]; then
  CFLAGS="$PGO_USE_FLAGS" cargo bench --locked --bench parse_floor --no-run --message-format=json \
    | python3 scripts/cargo-executable.py parse_floor >"$CARGO_TARGET_DIR/parse_floor.path"
fi

if [[ $INSTALL == 1 ]]; then
  say "installing"
  CFLAGS="$PGO_USE_FLAGS" cargo install --locked --path . --target-dir "$CARGO_TARGET_DIR"
fi

say "built $BIN"
if [[ $FLOOR == 1 ]]; then
  cat "$CARGO_TARGET_DIR/parse_floor.path"
fi
