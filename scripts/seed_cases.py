"""Seed a CRM database with many cases for measuring the back office (scratch databases only).

    .venv/bin/python scripts/seed_cases.py --count 100000 [--url postgresql+psycopg2://...]

Without --url it uses CRM_DATABASE_URL (default: the local SQLite file). The schema is
migrated first. See bench/cases_query.py for the timing run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cases.seed import seed_cases
from bot.crm.db import database_url, mask_url
from bot.crm.migrate import upgrade


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--url", default=None, help="database URL (default: CRM_DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    url = database_url(args.url)
    upgrade(url)
    started = time.perf_counter()
    made = seed_cases(url, args.count, seed=args.seed)
    print(f"seeded {made} cases into {mask_url(url)} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
