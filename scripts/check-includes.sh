#!/usr/bin/env bash
# The layer rules of DESIGN.md 2 and STYLE.md, checked rather than hoped
# for (tor's .may_include habit):
#   1. each folder may include only the project folders on its allow list:
#      data flows one way, gateway -> (pricing, storage, contracts-abi) ->
#      lib;
#   2. only the files that are the database may touch SQLite: <sqlite3.h>
#      (or storage/db.h, which brings it) is included by storage's database
#      files and the ledger's SQLite backend, no one else;
#   3. no include cycle between the files of one folder (a file and its
#      header count as one, and so do a module's own files x_*.c, x_*.h:
#      a.c including b.h and b.c including a.h is a cycle);
#   4. no SQL in the gateway: it speaks to the database through storage's
#      and the ledger's functions only.
# Prints every breach and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - <<'PY'
import os, re, sys

ALLOW = {
    "lib": {"lib"},
    "storage": {"lib", "storage"},
    "pricing": {"lib", "storage", "pricing"},
    "contracts-abi": {"lib", "contracts-abi"},
    "gateway": {"lib", "storage", "pricing", "contracts-abi", "gateway"},
    "client": {"lib", "storage", "pricing", "contracts-abi", "client"},
}
SQLITE_FILES = {
    "storage/db.h", "storage/db.c", "storage/schema.c", "storage/catalog.c",
    "storage/catgen.c", "storage/store.c", "storage/parts.c",
    "storage/drafts.c", "pricing/ledger_sqlite.c",
}
QUOTED = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
SQLITE = re.compile(r'^\s*#\s*include\s*(<sqlite3\.h>|"storage/db\.h")', re.M)
SQL = re.compile(r'"\s*(SELECT|INSERT INTO|UPDATE [A-Za-z_]+ SET|DELETE FROM|'
                 r'CREATE (TABLE|INDEX)|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|'
                 r'PRAGMA)\b')
bad = []

def node_of(base):
    return base.split("_")[0]

for folder, allowed in sorted(ALLOW.items()):
    if not os.path.isdir(folder):
        continue
    graph = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith((".c", ".h")):
            continue
        path = folder + "/" + name
        with open(path, errors="replace") as fh:
            text = fh.read()
        for inc in QUOTED.findall(text):
            top = inc.split("/")[0]
            if "/" in inc and top not in allowed:
                bad.append('%s includes "%s": %s/ may include only: %s' %
                           (path, inc, folder, " ".join(sorted(allowed))))
            if inc.startswith(folder + "/"):
                dep = node_of(os.path.basename(inc)[:-2])
                if dep != node_of(name[:-2]):
                    graph.setdefault(node_of(name[:-2]), set()).add(dep)
        for m in SQLITE.finditer(text):
            if path not in SQLITE_FILES:
                bad.append("%s includes SQLite (%s): only the database's own "
                           "files may: %s" % (path, m.group(1),
                                              " ".join(sorted(SQLITE_FILES))))
        if folder == "gateway":
            for i, line in enumerate(text.splitlines(), 1):
                if SQL.search(line):
                    bad.append("%s:%d holds SQL: the gateway goes through "
                               "storage's or the ledger's functions" %
                               (path, i))
    # Rule 3: a depth-first search for cycles.
    seen, stack, onstack = set(), [], set()
    def visit(n):
        seen.add(n); stack.append(n); onstack.add(n)
        for m in sorted(graph.get(n, ())):
            if m in onstack:
                cyc = stack[stack.index(m):] + [m]
                bad.append("include cycle in %s/: %s" % (folder,
                                                        " -> ".join(cyc)))
            elif m not in seen:
                visit(m)
        stack.pop(); onstack.discard(n)
    for n in sorted(graph):
        if n not in seen:
            visit(n)

for b in bad:
    print("check-includes: " + b, file=sys.stderr)
if bad:
    sys.exit(1)
print("check-includes: layers ok")
PY
