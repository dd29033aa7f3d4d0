"""K-fold cross-validation on the knowledge base's own example questions.

Usage: python3 tests/eval/crossval.py KNOWLEDGE_DIR LOKET_BINARY   (K=5 by default)

Fold f takes out every example question whose place in its entry's list is
f mod K, writes a copy of the base without them (in /tmp/kfold) and an eval
file of them, and runs `loket eval --json` on that copy, which scores the
triage and the plain BM25 baseline on the same questions. The figures are
weighted by fold size. Unlike `loket lint --confusions` (one question left
out, the rest of the model trained with it), every part of the model is
trained without the fold, so this is the harder and fairer of the two. It
reads no eval set: tuning on it is tuning on the editors' own examples.
"""
import json, os, re, shutil, subprocess, sys, pathlib
K = int(os.environ.get("K", "5"))
src = pathlib.Path(sys.argv[1]); binary = sys.argv[2]; out = pathlib.Path("/tmp/kfold")
shutil.rmtree(out, ignore_errors=True)
totals = {}
for f in range(K):
    kb = out / f"kb{f}"; shutil.copytree(src, kb)
    lines_out = []
    for md in sorted(kb.glob("*/*.md")):
        text = md.read_text().split("\n")
        if not text or text[0] != "---": continue
        end = text.index("---", 1)
        ident = None; inq = False; idx = 0; keep = []
        for i, line in enumerate(text):
            if 0 < i < end:
                m = re.match(r"id:\s*(\S+)", line)
                if m: ident = m.group(1)
                if line.startswith("questions:"): inq = True; keep.append(line); continue
                if inq:
                    if line.startswith("  - "):
                        if idx % K == f:
                            lines_out.append({"q": line[4:].strip().strip('"'), "expect": "@" , "file": str(md)})
                            idx += 1; continue
                        idx += 1
                    elif not line.startswith(" "): inq = False
            keep.append(line)
        for l in lines_out:
            if l["expect"] == "@" and l["file"] == str(md): l["expect"] = ident
        md.write_text("\n".join(keep))
    ev = out / f"fold{f}.jsonl"
    ev.write_text("".join(json.dumps({"q": l["q"], "expect": l["expect"]}) + "\n" for l in lines_out))
    r = subprocess.run([binary, "eval", "--json", str(ev)], capture_output=True, text=True,
                       env={**os.environ, "LOKET_KNOWLEDGE_DIR": str(kb)})
    d = json.loads(r.stdout)
    n = len(lines_out)
    for key in ["top1", "bm25_top1", "answered_correctly", "answered_wrongly", "urgent_false_rate", "urgent_recall"]:
        if key in d and d[key] is not None:
            totals[key] = totals.get(key, 0) + d[key] * n
    totals["n"] = totals.get("n", 0) + n
n = totals.pop("n")
print(json.dumps({"n": n, **{k: round(v / n, 3) for k, v in totals.items()}}))
