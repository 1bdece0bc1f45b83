"""The findings of a reconciliation in words: their order, what each one sums, and the sentence
that explains it (with the newer rate card that took effect, where one did). The arithmetic that
splits the difference into findings is in `wacost.reconcile.compare`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from wacost.models import format_money
from wacost.prices.cards import PriceBook
from wacost.reconcile.billed import Actual
from wacost.reconcile.model import Finding
from wacost.report.model import Estimate

FINDING_ORDER = (
    "not_delivered",
    "recategorized",
    "unplanned_messages",
    "free_messages",
    "volume_tier",
    "rate_changed",
    "market_only_in_estimate",
    "market_only_in_actual",
    "unpriced",
)


@dataclass
class _Finding:
    cost: Decimal = Decimal(0)
    messages: int = 0
    markets: set[str] = field(default_factory=set)

    def add(self, market: str, cost: Decimal, messages: int = 0) -> None:
        self.cost += cost
        self.messages += messages
        self.markets.add(market)


def _names(markets: Iterable[str], limit: int = 5) -> str:
    names = sorted(markets)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _finding_list(
    findings: dict[str, _Finding],
    currency: str,
    estimate: Estimate,
    actual: Actual,
    book: PriceBook | None,
) -> tuple[Finding, ...]:
    out = []
    for code in FINDING_ORDER:
        found = findings.get(code)
        if found is None or (found.cost == 0 and found.messages == 0):
            continue
        amount = format_money(found.cost)
        money = f"{'' if amount.startswith('-') else '+'}{amount} {currency}"
        where = _names(found.markets)
        n = f"{abs(found.messages):,}"
        if code == "not_delivered":
            text = f"{n} planned messages were not delivered (not billed) in {where}: {money}"
        elif code == "recategorized":
            risky = [
                t.template
                for t in (
                    estimate.recategorization_risk.templates
                    if estimate.recategorization_risk
                    else ()
                )
            ]
            text = (
                f"{n} delivered messages planned as utility were billed as marketing in {where} "
                f"(Meta moved a template to marketing): {money}"
                + (f"; the estimate flagged {', '.join(risky)} as at risk" if risky else "")
            )
        elif code == "unplanned_messages":
            text = f"{n} billed messages the estimate did not plan, in {where}: {money}"
        elif code == "free_messages":
            more = "more" if found.messages > 0 else "fewer"
            text = (
                f"{n} {more} messages were free (free tier, customer service or free entry point "
                f"window) than the estimate expected, in {where}: {money}"
            )
        elif code == "volume_tier":
            text = f"volume-tier discounts differ from the estimate's in {where}: {money}"
        elif code == "rate_changed":
            text = f"Meta billed other rates than the estimate's card in {where}: {money}"
            text += _card_change(estimate, actual, book)
        elif code == "market_only_in_estimate":
            text = f"markets planned but absent from the bill: {where} ({n} messages): {money}"
        elif code == "market_only_in_actual":
            text = f"markets billed but not in the estimate: {where} ({n} messages): {money}"
        else:
            text = (
                f"billed in a category or market the estimate has no rate for (e.g. "
                f"marketing_lite) in {where}: {money}"
            )
        about_prices = code in ("volume_tier", "rate_changed")
        out.append(
            Finding(
                code,
                text,
                found.cost,
                None if about_prices else found.messages,
                tuple(sorted(found.markets)),
            )
        )
    return tuple(out)


def _card_change(estimate: Estimate, actual: Actual, book: PriceBook | None) -> str:
    """'; the 2027-01-01 card took effect after the estimate's 2026-10-01 card' where one did."""
    used = estimate.rate_card.effective_from.isoformat()
    if book is None or actual.end is None or not used:
        return ""
    currency = estimate.fx.from_ if estimate.fx is not None else estimate.currency
    newer = sorted(
        {
            c.effective_from.isoformat()
            for c in book.cards
            if c.currency == currency
            and used < c.effective_from.isoformat() <= actual.end.isoformat()
        }
    )
    if not newer:
        return "; no newer card is known to wacost (check pricing/ for an update)"
    return f"; the {newer[-1]} card took effect after the estimate's {used} card"
