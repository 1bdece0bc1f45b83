"""Properties of the estimate: pricing is additive, and every total is the sum of its parts."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES
from wacost.estimate import EstimateOptions, estimate_campaign
from wacost.prices.loading import load_price_book
from wacost.report.model import Estimate
from wacost.templates.definitions import load_templates

BOOK = load_price_book()
TEMPLATES = load_templates([SAMPLES / "templates.json"])
OPTIONS = EstimateOptions(date=dt.date(2026, 11, 25))
PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_DIR = Path(tempfile.mkdtemp(prefix="wacost-properties-"))

# Planning rows: no row reaches a volume tier (the lowest starts at 100,000 a month) and, without
# --sender-numbers, no free tier applies: so money adds up as well as counts.
ROWS = st.lists(
    st.tuples(
        st.sampled_from(["IN", "BR", "DE", "GB", "US", "MX", "ID", "SE", "AE", "ZZ", "JE", "UK"]),
        st.sampled_from(["spring_sale", "order_shipped", "login_code", "", "no_such_template"]),
        st.integers(min_value=1, max_value=2000),
        st.sampled_from(["", "csw", "fep"]),
    ),
    min_size=1,
    max_size=12,
)


def _campaign(name: str, rows: list[tuple[str, str, int, str]]) -> Path:
    path = _DIR / name
    body = "".join(f"{c},{t},{n},{w}\n" for c, t, n, w in rows)
    path.write_text("country,template,count,window\n" + body, encoding="utf-8")
    return path


def _price(*paths: Path) -> Estimate:
    return estimate_campaign(list(paths), BOOK, TEMPLATES, OPTIONS)


def _by(rows: tuple, key: str) -> dict[str, tuple[int, Decimal]]:
    return {str(getattr(r, key)): (r.messages, r.cost) for r in rows}


def _add(a: dict, b: dict) -> dict:
    keys = set(a) | set(b)
    zero = (0, Decimal(0))
    return {k: tuple(x + y for x, y in zip(a.get(k, zero), b.get(k, zero))) for k in keys}


@PROPERTY
@given(ROWS, ROWS)
def test_pricing_a_and_b_together_is_a_plus_b(rows_a, rows_b):
    a = _price(_campaign("a.csv", rows_a))
    b = _price(_campaign("b.csv", rows_b))
    both = _price(_campaign("a.csv", rows_a), _campaign("b.csv", rows_b))
    for field in ("messages", "billable_messages", "free_messages", "unbilled_messages", "cost"):
        assert getattr(both.totals, field) == getattr(a.totals, field) + getattr(b.totals, field)
    assert _by(both.by_category, "category") == _add(
        _by(a.by_category, "category"), _by(b.by_category, "category")
    )
    assert _by(both.by_market, "market") == _add(
        _by(a.by_market, "market"), _by(b.by_market, "market")
    )
    warned = {w.code: w.count for w in both.warnings}
    for code in warned:
        parts = [w.count for e in (a, b) for w in e.warnings if w.code == code]
        assert warned[code] == sum(parts), code


@PROPERTY
@given(ROWS)
def test_the_total_is_the_sum_of_the_lines_and_of_every_breakdown(rows):
    estimate = _price(_campaign("one.csv", rows))
    total = estimate.totals.cost
    assert sum((line.cost or Decimal(0) for line in estimate.lines), Decimal(0)) == total
    assert sum(line.messages for line in estimate.lines) == sum(
        r.messages for r in estimate.by_market
    )
    for breakdown in (estimate.by_category, estimate.by_market, estimate.by_template):
        assert sum((r.cost for r in breakdown), Decimal(0)) == total
        assert sum(r.messages for r in breakdown) + estimate.totals.unbilled_messages == (
            estimate.totals.messages
        )
