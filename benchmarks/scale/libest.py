"""Price a campaign through wacost's library (no CLI), as benchmarks/bench_estimate.py does.
usage: libest.py CAMPAIGN TEMPLATES.json"""

import datetime as dt
import sys
import time

t0 = time.perf_counter()
from pathlib import Path  # noqa: E402

from wacost.estimate import EstimateOptions, estimate_campaign  # noqa: E402
from wacost.prices.loading import load_price_book  # noqa: E402
from wacost.templates.definitions import load_templates  # noqa: E402

book = load_price_book()
tpl = load_templates([Path(sys.argv[2])])
t = time.perf_counter()
r = estimate_campaign([Path(sys.argv[1])], book, tpl, EstimateOptions(date=dt.date(2026, 11, 15)))
print(
    f"  work {time.perf_counter() - t:.2f}s (imports+setup {t - t0:.2f}s) "
    f"total {r.totals.cost} msgs {r.totals.messages}"
)
