"""Fill a stopped gateway's catalogue with many data-sets, fast: each new
one is a copy of a data-set that was really published (its record, columns,
chunks, chunk index, published parts and price history) under a new id,
name, description, owner, tags, price and publication time, written in one
SQLite transaction. The copies list, sort, page, search and show like any
data-set; their chunks are the template's objects, and their sealed key is
the template's, so a query on a copy gets no key: they are catalogue
fixtures for the page's speed, not data to buy.

    seed(db_path, template_ids, n, owners, seed=1) -> number added

The gateway must be stopped (it owns the data dir) and started again after,
so that nothing it cached is stale."""
import json
import os
import random
import sqlite3

WORDS = ("weather temperature traffic energy retail shipping sensor "
         "genome finance football election satellite river forest "
         "housing transit aviation wind solar health crime census "
         "ocean soil crop market tweet review music movie").split()
TAGS = ("synthetic sample bulk timeseries geo text numeric daily hourly "
        "public europe asia americas africa").split()


def _columns(db, table):
    return [r[1] for r in db.execute("PRAGMA table_info(%s)" % table)]


def seed(db_path, template_ids, n, owners, seed_value=1, newest_at=None):
    rnd = random.Random(seed_value)
    db = sqlite3.connect(db_path)
    try:
        ds_cols = _columns(db, "datasets")
        children = []
        for table in ("dataset_columns", "chunks", "chunk_index",
                      "dataset_published_parts", "price_history"):
            cols = _columns(db, table)
            if cols:
                children.append((table, cols))
        templates = []
        for tid in template_ids:
            row = db.execute("SELECT %s FROM datasets WHERE id = ?" %
                             ", ".join(ds_cols),
                             (bytes.fromhex(tid[2:]),)).fetchone()
            if row is None:
                raise ValueError("no data-set %s to copy" % tid)
            templates.append(dict(zip(ds_cols, row)))
        top = newest_at or min(t["published_at"] for t in templates) - 1
        db.execute("BEGIN")
        for k in range(n):
            t = templates[k % len(templates)]
            new = dict(t)
            new_id = rnd.getrandbits(256).to_bytes(32, "big")
            w1, w2 = rnd.choice(WORDS), rnd.choice(WORDS)
            new["id"] = new_id
            new["name"] = "Synthetic %s %s no. %05d" % (w1, w2, k + 1)
            new["description"] = ("A generated copy for the catalogue's "
                                  "speed test: %s and %s records." % (w1, w2))
            new["owner"] = owners[k % len(owners)]
            new["published_at"] = top - k
            new["created_at"] = top - k - 5
            price = json.loads(t["price"]) if t["price"] else None
            if price and price.get("kind") == "metered":
                price["per_query"] = str(rnd.randint(1, 5000))
                new["price_key"] = float((int(price["per_query"]) +
                                          int(price["per_chunk"])) *
                                         int(price["unit_wei"]))
            elif price:
                price["price"] = str(rnd.randint(1, 10 ** 7))
                new["price_key"] = float(int(price["price"]) *
                                         int(price["unit_wei"]))
            new["price"] = json.dumps(price, separators=(",", ":")) \
                if price else None
            db.execute("INSERT INTO datasets (%s) VALUES (%s)" %
                       (", ".join(ds_cols), ", ".join("?" * len(ds_cols))),
                       [new[c] for c in ds_cols])
            for table, cols in children:
                sel = ", ".join("?" if c == "dataset_id" else c for c in cols)
                db.execute("INSERT INTO %s (%s) SELECT %s FROM %s WHERE "
                           "dataset_id = ?" % (table, ", ".join(cols), sel,
                                               table),
                           (new_id, t["id"]))
            db.execute("UPDATE price_history SET price = ? WHERE "
                       "dataset_id = ?", (new["price"], new_id))
            for tag in rnd.sample(TAGS, rnd.randint(1, 3)):
                db.execute("INSERT INTO dataset_tags (dataset_id, tag) "
                           "VALUES (?, ?)", (new_id, tag))
        db.execute("COMMIT")
    finally:
        db.close()
    return n


if __name__ == "__main__":
    import sys
    if len(sys.argv) < 4:
        sys.exit("usage: seed_catalogue.py DB N TEMPLATE_ID... (owners: "
                 "the templates')")
    db_path, count = sys.argv[1], int(sys.argv[2])
    ids = sys.argv[3:]
    con = sqlite3.connect(db_path)
    owners = [r[0] for r in con.execute(
        "SELECT DISTINCT owner FROM datasets WHERE id IN (%s)" %
        ",".join("?" * len(ids)), [bytes.fromhex(i[2:]) for i in ids])]
    con.close()
    print(seed(db_path, ids, count, owners, seed_value=os.getpid()))
