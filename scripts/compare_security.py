#!/usr/bin/env python3
"""Scores backlint and its peers on backlint's annotated security fixtures.

Called by scripts/compare-security.sh, which runs the tools and leaves their
JSON outputs in --out. For every fixture annotation (`# expect: RULE` /
`// expect: RULE` says the next code line is vulnerable for that family,
`ok: RULE` says it is a safe near miss) and every tool, this decides whether
the tool flagged the annotated line, and prints Markdown tables per language:
family x tool, recall (expect lines flagged / expect lines) and FP rate
(ok lines flagged / ok lines), and for the taint families (TAINT_FAMILIES)
the precision (flagged expect lines / (flagged expect lines + flagged ok
lines)) with a verdict per family: is backlint's precision at least each
peer's and its recall no lower?

Annotations may carry a qualifier, `expect: RULE[flow]` / `expect:
RULE[pattern]`, saying which kind of backlint finding is expected; for the
comparison it is dropped (`RULE[flow]` counts as `RULE`).

What counts as "flagged":
- backlint: a finding of the family's own rule id that starts on the line
  (backlint's rule ids are the family names).
- peers: any finding on the line, whatever its rule id. Peer rule ids are not
  mapped to families (bandit's B602 is not checked to be "command-injection");
  a peer is credited for any report on a vulnerable line and charged for any
  report on a near-miss line. The peers' rule ids are listed in the details.
- A multi-line statement counts as one line: a finding on one of the
  continuation lines of the annotated statement (lines while brackets opened
  on the annotated line are still open, up to 8 lines and never past the next
  annotation) counts for the annotated line. Bandit, for example, reports an
  SQL string on its own line inside a multi-line `execute(` call.

Writes details.json (every annotation with the findings that hit it, and the
peer findings on unannotated lines) next to the raw outputs.
"""
import argparse
import json
import os
import re
import sys
from collections import defaultdict

LANGS = [("python", ".py", "#"), ("javascript", ".js", "//"), ("typescript", ".ts", "//"), ("rust", ".rs", "//")]
PEERS = {"python": ["bandit", "ruff"], "javascript": ["eslint"], "typescript": ["eslint"], "rust": []}
TOOL_NAMES = {"backlint": "backlint", "bandit": "bandit", "ruff": "ruff S", "eslint": "eslint-plugin-security"}
MAX_SPAN = 8
FLOWS = {}  # (path, sink line, rule) -> lines of backlint's reported flow
QUALIFIER = re.compile(r"\[(flow|pattern)\]$")

# The families the taint engine covers (issue 5, acceptance 3).
TAINT_FAMILIES = ["sql-injection", "command-injection", "code-injection", "ssrf",
                  "path-traversal", "xss", "open-redirect"]

# The peers' checks per taint family, by rule id (bandit test id, ruff code,
# eslint-plugin-security rule). Taken from each tool's own list of checks
# (`bandit --help`, `ruff rule --all`, the plugin's rules/ directory);
# import-only checks (B404/S404 ...) are left out. A family missing from a
# peer's map: the peer has no check for it.
PEER_FAMILIES = {
    "bandit": {
        "sql-injection": {"B608", "B610", "B611"},
        "command-injection": {"B601", "B602", "B603", "B604", "B605", "B606", "B607", "B609"},
        "code-injection": {"B102", "B307"},
        "ssrf": {"B310"},
        "path-traversal": {"B202"},
        "xss": {"B308", "B701", "B702", "B703", "B704"},
    },
    "ruff": {
        "sql-injection": {"S608", "S610", "S611"},
        "command-injection": {"S601", "S602", "S603", "S604", "S605", "S606", "S607", "S609"},
        "code-injection": {"S102", "S307"},
        "ssrf": {"S310"},
        "path-traversal": {"S202"},
        "xss": {"S308", "S701", "S702", "S704"},
    },
    "eslint": {
        "command-injection": {"security/detect-child-process"},
        "code-injection": {"security/detect-eval-with-expression", "security/detect-non-literal-require"},
        "path-traversal": {"security/detect-non-literal-fs-filename"},
        "xss": {"security/detect-disable-mustache-escape"},
    },
}


def lang_of(path):
    for lang, ext, comment in LANGS:
        if path.endswith(ext):
            return lang, comment
    raise ValueError(path)


def strip_strings(line):
    """Blanks string literals and trailing comments, roughly, for bracket counting."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(?:\\.|[^'\\])*'", "''", line)
    line = re.sub(r"`(?:\\.|[^`\\])*`", "``", line)
    line = re.sub(r"(#|//).*$", "", line)
    return line


def annotations(path, comment):
    lines = open(path, encoding="utf-8").read().split("\n")
    notes = []  # (target line, rule, expect, span)
    annotation_lines = set()
    for i, line in enumerate(lines):
        body = line.strip()
        if not body.startswith(comment):
            continue
        body = body[len(comment):].strip()
        if body.startswith("expect:"):
            expect, ids = True, body[len("expect:"):]
        elif body.startswith("ok:"):
            expect, ids = False, body[len("ok:"):]
        else:
            continue
        annotation_lines.add(i + 1)
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j].strip().startswith(comment)):
            j += 1
        if j >= len(lines):
            continue
        for rule in [QUALIFIER.sub("", r.strip()) for r in ids.split(",") if r.strip()]:
            notes.append([j + 1, rule, expect])
    # continuation span of each annotated statement
    out = []
    for target, rule, expect in notes:
        span = [target]
        depth = 0
        k = target - 1
        while True:
            text = strip_strings(lines[k])
            depth += sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")
            k += 1
            if depth <= 0 or k >= len(lines) or len(span) >= MAX_SPAN or (k + 1) in annotation_lines:
                break
            span.append(k + 1)
        out.append({"line": target, "rule": rule, "expect": expect, "span": span})
    return out, lines


def load_findings(out, root):
    """{tool: {relpath: {line: [rule ids]}}}"""
    res = {t: defaultdict(lambda: defaultdict(list)) for t in TOOL_NAMES}

    def rel(p):
        p = os.path.normpath(p)
        return os.path.relpath(p, root) if os.path.isabs(p) else p

    def load(name, empty):
        path = os.path.join(out, name)
        return json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else empty

    d = load("backlint.json", {"findings": []})
    for f in d["findings"]:
        res["backlint"][rel(f["path"])][f["start"]["line"]].append(f["rule"])
        # lines of a taint finding's path (source and steps), for the list of
        # peers that report on an earlier line of the same flow
        flow_lines = sorted({s["start"]["line"] for s in f.get("flow") or []})
        if flow_lines:
            FLOWS[(rel(f["path"]), f["start"]["line"], f["rule"])] = flow_lines
    d = load("bandit.json", {"results": []})
    for r in d["results"]:
        res["bandit"][rel(r["filename"])][r["line_number"]].append(r["test_id"] + " " + r["test_name"])
    for err in d.get("errors", []):
        print(f"bandit error: {err}", file=sys.stderr)
    for r in load("ruff.json", []):
        res["ruff"][rel(r["filename"])][r["location"]["row"]].append(r["code"] or "syntax-error")
    for f in load("eslint.json", []):
        for m in f["messages"]:
            if m.get("fatal"):
                print(f"eslint fatal: {f['filePath']}: {m['message']}", file=sys.stderr)
            res["eslint"][rel(f["filePath"])][m.get("line", 0)].append(m.get("ruleId") or "parse-error")
    return res


def pct(n, d):
    return "–" if d == 0 else f"{n}/{d} ({round(100 * n / d)}%)"


def peer_rule_id(tool, hit):
    """'12:B602 subprocess_popen...' -> 'B602'; '12:security/detect-...' -> 'security/detect-...'"""
    return hit.split(":", 1)[1].split(" ")[0]


def mapped(tool, family, hits):
    ids = PEER_FAMILIES.get(tool, {}).get(family, set())
    return [h for h in hits if peer_rule_id(tool, h) in ids]


def precision(s):
    """s = [expect hit, expect total, ok hit, ok total] -> (hits, flagged, ratio or None)"""
    flagged = s[0] + s[2]
    return s[0], flagged, (s[0] / flagged if flagged else None)


def prec_cell(s):
    h, f, r = precision(s)
    return "– (no flag)" if f == 0 else f"{h}/{f} ({round(100 * r)}%)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--details", action="store_true")
    ap.add_argument("families", nargs="+")
    args = ap.parse_args()
    families = args.families
    files = [l.strip() for l in open(os.path.join(args.out, "files.txt")) if l.strip()]
    found = load_findings(args.out, args.root)

    # stats[lang][family][tool] = [expect hit, expect total, ok hit, ok total]
    stats = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0])))
    # the same with the peers' findings mapped to families (taint families)
    mstats = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0])))
    details = {"annotations": [], "unannotated": []}
    for path in files:
        lang, comment = lang_of(path)
        notes, lines = annotations(os.path.join(args.root, path), comment)
        tools = ["backlint"] + PEERS[lang]
        annotated = set()
        for n in notes:
            if n["rule"] not in families:
                continue
            annotated.update(n["span"])
            entry = {"file": path, "line": n["line"], "rule": n["rule"], "expect": n["expect"],
                     "code": lines[n["line"] - 1].strip(), "hits": {}}
            for t in tools:
                if t == "backlint":
                    hit = [r for r in found[t][path].get(n["line"], []) if r == n["rule"]]
                else:
                    hit = [f"{l}:{r}" for l in n["span"] for r in found[t][path].get(l, [])]
                entry["hits"][t] = hit
                flow = FLOWS.get((path, n["line"], n["rule"]), [])
                if t != "backlint" and n["expect"] and not hit and flow:
                    early = mapped(t, n["rule"], [f"{l}:{r}" for l in flow if l not in n["span"]
                                                  for r in found[t][path].get(l, [])])
                    if early:
                        entry.setdefault("flow_hits", {})[t] = early
                mhit = hit if t == "backlint" else mapped(t, n["rule"], hit)
                if t != "backlint":
                    entry.setdefault("mapped", {})[t] = mhit
                for table, h in ((stats, hit), (mstats, mhit)):
                    s = table[lang][n["rule"]][t]
                    if n["expect"]:
                        s[1] += 1
                        s[0] += bool(h)
                    else:
                        s[3] += 1
                        s[2] += bool(h)
            details["annotations"].append(entry)
        for t in PEERS[lang]:
            for l, rules in sorted(found[t][path].items()):
                if l not in annotated:
                    code = lines[l - 1].strip() if 0 < l <= len(lines) else ""
                    details["unannotated"].append({"tool": t, "file": path, "line": l, "rules": rules, "code": code})
    json.dump(details, open(os.path.join(args.out, "details.json"), "w"), indent=1)

    totals = {}
    for lang, _, _ in LANGS:
        tools = ["backlint"] + PEERS[lang]
        print(f"\n### {lang}\n")
        head = "| family | expect | ok | " + " | ".join(f"{TOOL_NAMES[t]} recall | {TOOL_NAMES[t]} FP" for t in tools) + " |"
        print(head)
        print("|---|---:|---:|" + "---:|---:|" * len(tools))
        tot = defaultdict(lambda: [0, 0, 0, 0])
        for fam in families:
            if fam not in stats[lang]:
                continue
            row = stats[lang][fam]
            e, o = row["backlint"][1], row["backlint"][3]
            cells = [fam, str(e), str(o)]
            for t in tools:
                s = row[t]
                cells += [pct(s[0], s[1]), pct(s[2], s[3])]
                for k in range(4):
                    tot[t][k] += s[k]
            print("| " + " | ".join(cells) + " |")
        e, o = tot["backlint"][1], tot["backlint"][3]
        cells = ["**total**", str(e), str(o)]
        for t in tools:
            cells += [f"**{pct(tot[t][0], tot[t][1])}**", f"**{pct(tot[t][2], tot[t][3])}**"]
        print("| " + " | ".join(cells) + " |")
        totals[lang] = tot

    print("\n### Totals\n")
    print("| language | expect | ok | " + " | ".join(f"{TOOL_NAMES[t]} recall | {TOOL_NAMES[t]} FP" for t in TOOL_NAMES) + " |")
    print("|---|---:|---:|" + "---:|---:|" * len(TOOL_NAMES))
    for lang, _, _ in LANGS:
        tot = totals[lang]
        cells = [lang, str(tot["backlint"][1]), str(tot["backlint"][3])]
        for t in TOOL_NAMES:
            cells += ([pct(tot[t][0], tot[t][1]), pct(tot[t][2], tot[t][3])] if t in tot else ["n/a", "n/a"])
        print("| " + " | ".join(cells) + " |")

    print_taint(families, stats, mstats)

    # Expect lines a peer flags and backlint does not.
    print("\n### Expect lines a peer flags and backlint misses\n")
    any_miss = False
    for a in details["annotations"]:
        if a["expect"] and not a["hits"]["backlint"] and any(v for t, v in a["hits"].items() if t != "backlint"):
            any_miss = True
            peers = "; ".join(f"{TOOL_NAMES[t]}: {', '.join(v)}" for t, v in a["hits"].items() if t != "backlint" and v)
            print(f"- {a['file']}:{a['line']} [{a['rule']}] `{a['code']}` — {peers}")
    if not any_miss:
        print("(none)")
    print("\n### Expect lines a peer misses at the sink but flags on an earlier line of backlint's flow\n")
    print("(not counted as found in the tables: the annotation is on the sink line)\n")
    any_early = False
    for a in details["annotations"]:
        for t, v in a.get("flow_hits", {}).items():
            any_early = True
            print(f"- {TOOL_NAMES[t]} {a['file']}:{a['line']} [{a['rule']}] `{a['code'][:80]}` — {', '.join(v)}")
    if not any_early:
        print("(none)")
    print("\n### Expect lines backlint misses (any tool)\n")
    for a in details["annotations"]:
        if a["expect"] and not a["hits"]["backlint"]:
            print(f"- {a['file']}:{a['line']} [{a['rule']}] `{a['code']}`")

    if args.details:
        print("\n### Peer findings on annotated lines\n")
        for a in details["annotations"]:
            for t, v in a["hits"].items():
                if t != "backlint" and v:
                    kind = "expect" if a["expect"] else "ok"
                    print(f"- {TOOL_NAMES[t]} {a['file']}:{a['line']} {kind} {a['rule']}: {', '.join(v)} `{a['code'][:100]}`")
        print("\n### Peer findings on lines without a security annotation\n")
        for u in details["unannotated"]:
            print(f"- {TOOL_NAMES[u['tool']]} {u['file']}:{u['line']} {', '.join(u['rules'])} `{u['code'][:100]}`")


def print_taint(families, stats, mstats):
    fams = [f for f in TAINT_FAMILIES if f in families]
    if not fams:
        return
    print("\n## Taint families: recall, FP rate, precision\n")
    print("Peer columns count any finding of the peer on the line (as in the tables above);")
    print("`mapped` columns count only the peer's own checks for the family (PEER_FAMILIES).")
    verdicts = []
    for lang, _, _ in LANGS:
        rows = [f for f in fams if f in stats[lang]]
        if not rows:
            continue
        peers = PEERS[lang]
        print(f"\n### {lang}\n")
        head = ["family", "expect", "ok", "backlint recall", "backlint FP", "backlint precision"]
        for t in peers:
            n = TOOL_NAMES[t]
            head += [f"{n} recall", f"{n} FP", f"{n} precision", f"{n} mapped recall", f"{n} mapped precision"]
        print("| " + " | ".join(head) + " |")
        print("|---|---:|---:|" + "---:|" * (len(head) - 3))
        tot = defaultdict(lambda: [0, 0, 0, 0])
        mtot = defaultdict(lambda: [0, 0, 0, 0])
        for fam in rows + ["total"]:
            if fam == "total":
                row, mrow = tot, mtot
            else:
                row, mrow = stats[lang][fam], mstats[lang][fam]
                for t in ["backlint"] + peers:
                    for k in range(4):
                        tot[t][k] += row[t][k]
                        mtot[t][k] += mrow[t][k]
            b = row["backlint"]
            cells = [fam if fam != "total" else "**total**", str(b[1]), str(b[3]),
                     pct(b[0], b[1]), pct(b[2], b[3]), prec_cell(b)]
            for t in peers:
                cells += [pct(row[t][0], row[t][1]), pct(row[t][2], row[t][3]), prec_cell(row[t]),
                          pct(mrow[t][0], mrow[t][1]), prec_cell(mrow[t])]
            print("| " + " | ".join(cells) + " |")
            if fam == "total" or not peers:
                continue
            # verdict: backlint precision >= peer's, recall >= peer's, both countings
            bh, bf, bp = precision(b)
            brec = b[0] / b[1] if b[1] else 0
            ok_all = True
            why = []
            for t in peers:
                for label, r in (("any", row[t]), ("mapped", mrow[t])):
                    ph, pf, pp = precision(r)
                    prec_ok = pp is None or (bp is not None and bp >= pp)
                    rec_ok = brec >= (r[0] / r[1] if r[1] else 0)
                    if not (prec_ok and rec_ok):
                        ok_all = False
                        why.append(f"{TOOL_NAMES[t]} ({label}): "
                                   + ("precision " if not prec_ok else "") + ("recall" if not rec_ok else ""))
            verdicts.append((lang, fam, ok_all, why))
    if verdicts:
        print("\n### Acceptance 3: backlint precision >= each peer's and recall >= each peer's\n")
        print("| language | family | holds | where not |")
        print("|---|---|---|---|")
        for lang, fam, ok_all, why in verdicts:
            print(f"| {lang} | {fam} | {'yes' if ok_all else 'no'} | {'; '.join(why) or '–'} |")


if __name__ == "__main__":
    main()
