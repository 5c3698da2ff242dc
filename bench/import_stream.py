"""Bulk import: a stream of channel orders (NDJSON) placed through ``OMS.place_orders``; memory must stay flat.

    uv run python bench/import_stream.py --orders 100000 --orders 1000000

Writes the NDJSON file first (not timed), then streams it line by line into ``place_orders`` in batches. Each
size runs in its own process on a fresh SQLite file, so its peak RSS is its own. The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from oms_core import OMS, Address, Customer, LineDraft, OrderDraft

PRODUCTS = [f"SKU-{i:03d}" for i in range(50)]


def write_stream(path: Path, n: int) -> None:
    rng = random.Random(42)
    with path.open("w") as f:
        for i in range(n):
            lines = [{"sku": rng.choice(PRODUCTS), "quantity": rng.randint(1, 3), "price": "12.50"} for _ in range(3)]
            f.write(json.dumps({"id": str(i), "currency": "EUR", "email": f"c{i}@example.com", "lines": lines,
                                "ship_to": {"name": f"Customer {i}", "line1": "1 Main Street", "city": "Berlin",
                                            "postcode": "10115", "country": "DE"}}) + "\n")  # fmt: skip


def drafts(path: Path) -> Iterator[OrderDraft]:
    with path.open() as f:
        for raw in f:
            o = json.loads(raw)
            yield OrderDraft(
                channel="import",
                external_id=o["id"],
                currency=o["currency"],
                customer=Customer(email=o["email"]),
                shipping_address=Address(**o["ship_to"]),
                lines=[LineDraft(x["sku"], x["quantity"], x["price"]) for x in o["lines"]],
            )


def run(n: int, workdir: str, batch: int, out: mp.Queue) -> None:
    stream = Path(workdir) / f"orders-{n}.ndjson"
    write_stream(stream, n)
    oms = OMS.open(f"sqlite:///{Path(workdir) / f'import-{n}.db'}")
    oms.add_location("WH1", "Warehouse 1")
    with oms.transaction():
        for sku in PRODUCTS:
            oms.add_product(sku, f"Product {sku}")
    start = time.perf_counter()
    result = oms.place_orders(drafts(stream), batch_size=batch)
    seconds = time.perf_counter() - start
    ok = result.created == n and not result.errors
    out.put({"orders": n, "seconds": round(seconds, 2), "orders_per_s": round(n / seconds, 1),
             "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
             "created": result.created, "errors": len(result.errors), "ok": ok})  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, action="append", help="repeat for several sizes (default 100000)")
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args(argv)
    sizes = args.orders or [100_000]
    results = []
    with tempfile.TemporaryDirectory(prefix="oms-import-") as workdir:
        ctx = mp.get_context("spawn")
        for n in sizes:
            out = ctx.Queue()
            p = ctx.Process(target=run, args=(n, workdir, args.batch, out))
            p.start()
            results.append(out.get())
            p.join()
            print(json.dumps(results[-1]), file=sys.stderr)
    print(json.dumps({"benchmark": "import_stream", "batch": args.batch, "runs": results}))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
