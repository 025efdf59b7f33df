#!/usr/bin/env bash
# Build the real-code corpus used to measure rule precision (docs/precision.md).
#
# Fetches PINNED releases of popular backend packages from the package
# registries only, with their ordinary clients, and unpacks their sources:
#
#   target/corpus/python/<name>-<version>/      wheels from PyPI (pip download)
#   target/corpus/javascript/<name>-<version>/  tarballs from npm (npm pack)
#   target/corpus/rust/<name>-<version>/        .crate files from crates.io
#                                               (cargo fetch in a throwaway
#                                               project per crate, then the
#                                               .crate is unpacked from the
#                                               cargo cache)
#
# Idempotent: a package whose directory exists is skipped. Every package it
# fetches is printed; at the end it prints the corpus size per language.
# target/ is git-ignored, so nothing here ends up in a commit.
#
# Usage:   scripts/corpus.sh            # build / complete the corpus
#          CORPUS=/elsewhere scripts/corpus.sh
# Then:    cargo build --release
#          ./target/release/backlint check --format json target/corpus/python > /tmp/precision-python.json
#          (same for javascript and rust)
#
# Needs: pip, npm, cargo, unzip, tar, network access to PyPI, npm and crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."

CORPUS="${CORPUS:-$PWD/target/corpus}"
WORK="$CORPUS/.work"
mkdir -p "$CORPUS/python" "$CORPUS/javascript" "$CORPUS/rust" "$WORK"

# name==version as PyPI spells it. Wheels only (no sdists, no builds).
PYPI=(
  django==5.2.19
  flask==3.1.3
  fastapi==0.165.0
  starlette==1.10.0
  sqlalchemy==2.1.9
  requests==2.34.2
  httpx==0.28.1
  celery==5.7.0
  aiohttp==3.14.5
  djangorestframework==3.16.1
  twisted==26.10.0
  tornado==6.6.1
  pydantic==2.14.4
  werkzeug==3.1.9
  jinja2==3.1.6
  kombu==5.7.0
  redis==8.2.0
  pymongo==4.20.1
  alembic==1.20.1
  gunicorn==27.0.1
  uvicorn==0.55.0
  marshmallow==4.4.0
  psycopg==3.3.9
  botocore==1.44.8
)

# name@version as npm spells it.
NPM=(
  express@5.3.0
  koa@3.3.0
  fastify@5.12.8
  @nestjs/core@12.5.1
  @nestjs/common@12.5.1
  typeorm@1.1.1
  sequelize@6.37.8
  mongoose@9.12.1
  knex@3.3.0
  axios@1.21.1
  @prisma/client@7.10.0
  ghost@6.65.0
  @strapi/core@5.54.0
  graphql@17.1.0
  zod@4.6.7
  @trpc/server@11.25.2
  @apollo/server@5.5.1
  socket.io@4.8.4
)

# name=version as crates.io spells it. sqlx and sea-orm are facades: their
# code lives in the -core / driver crates listed next to them.
CRATES=(
  axum=0.8.9
  axum-core=0.5.6
  actix-web=4.18.1
  sqlx=0.9.0
  sqlx-core=0.9.0
  sqlx-postgres=0.9.0
  reqwest=0.13.5
  diesel=2.3.14
  sea-orm=2.0.4
  tower-http=0.7.1
  jsonwebtoken=11.1.0
  tokio=1.54.1
  hyper=1.13.0
  h2=0.4.21
  tonic=0.14.9
  tower=0.5.3
  actix-http=3.20.0
  sea-query=1.0.2
  tokio-postgres=0.7.18
  mongodb=3.9.1
  rocket=0.5.2
  warp=0.4.3
  lettre=0.11.23
  tracing=0.1.44
  serde=1.0.229
  serde_json=1.0.154
  aws-sdk-s3=1.157.0
)

fetched=0

# --- Python ------------------------------------------------------------------
for spec in "${PYPI[@]}"; do
  name="${spec%%==*}"
  version="${spec##*==}"
  dest="$CORPUS/python/$name-$version"
  [[ -d "$dest" ]] && continue
  tmp="$WORK/pypi-$name-$version"
  rm -rf "$tmp" && mkdir -p "$tmp"
  pip download --quiet --no-deps --only-binary :all: --dest "$tmp" "$spec"
  wheel=$(find "$tmp" -name '*.whl' | head -n1)
  [[ -n "$wheel" ]] || { echo "error: no wheel for $spec" >&2; exit 1; }
  mkdir -p "$dest.partial"
  unzip -q -o "$wheel" -d "$dest.partial"
  mv "$dest.partial" "$dest"
  rm -rf "$tmp"
  echo "fetched pypi  $spec ($(basename "$wheel"))"
  fetched=$((fetched + 1))
done

# --- npm ---------------------------------------------------------------------
for spec in "${NPM[@]}"; do
  name="${spec%@*}"
  version="${spec##*@}"
  dest="$CORPUS/javascript/${name//\//__}-$version"
  [[ -d "$dest" ]] && continue
  tmp="$WORK/npm-${name//\//__}-$version"
  rm -rf "$tmp" && mkdir -p "$tmp"
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>&1)
  tarball=$(find "$tmp" -name '*.tgz' | head -n1)
  [[ -n "$tarball" ]] || { echo "error: npm pack $spec produced nothing" >&2; exit 1; }
  mkdir -p "$dest.partial"
  tar -xzf "$tarball" -C "$dest.partial" --strip-components=1
  mv "$dest.partial" "$dest"
  rm -rf "$tmp"
  echo "fetched npm   $spec"
  fetched=$((fetched + 1))
done

# --- crates.io ---------------------------------------------------------------
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
for spec in "${CRATES[@]}"; do
  name="${spec%%=*}"
  version="${spec##*=}"
  dest="$CORPUS/rust/$name-$version"
  [[ -d "$dest" ]] && continue
  proj="$WORK/cargo-$name-$version"
  rm -rf "$proj" && mkdir -p "$proj/src"
  cat >"$proj/Cargo.toml" <<EOF
[package]
name = "corpus-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$name = { version = "=$version", default-features = false }

[workspace]
EOF
  : >"$proj/src/lib.rs"
  (cd "$proj" && cargo fetch --quiet)
  crate=$(find "$CARGO_HOME/registry/cache" -name "$name-$version.crate" | head -n1)
  [[ -n "$crate" ]] || { echo "error: $name-$version.crate not in the cargo cache" >&2; exit 1; }
  mkdir -p "$dest.partial"
  tar -xzf "$crate" -C "$dest.partial" --strip-components=1
  mv "$dest.partial" "$dest"
  rm -rf "$proj"
  echo "fetched crate $name $version"
  fetched=$((fetched + 1))
done

rm -rf "$WORK"
echo "corpus: $fetched package(s) fetched into $CORPUS"
du -sh "$CORPUS/python" "$CORPUS/javascript" "$CORPUS/rust"
