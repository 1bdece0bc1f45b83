"""What the human-facing views (table, Markdown, HTML) share: views, shares, and budget status rows.

Everything here reads the canonical report only, and tolerates keys that a report saved by
an older or newer wacost does not carry.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from wacost.models import format_money
from wacost.report.model import Estimate

# The breakdowns a report can show, in the order they are shown; `--by` picks one.
VIEWS = ("category", "market", "template")
VIEW_TITLES = {"category": "By category", "market": "By market", "template": "By template"}
STATUS_TEXT = {"ok": "ok", "warning": "warning", "broken": "over limit"}


def share(part: str, whole: str) -> Decimal | None:
    """`part` as a fraction of `whole` (both money strings), or None when `whole` is zero."""
    whole_d = Decimal(whole)
    if whole_d == 0:
        return None
    return Decimal(part) / whole_d


def percent_text(fraction: Decimal | None) -> str:
    """A fraction as a percentage with one decimal place, rounded half up: `76.5%` (blank for None)."""
    if fraction is None:
        return ""
    return f"{(fraction * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def check_views(views: tuple[str, ...] | None) -> tuple[str, ...]:
    """The breakdowns to show: `views`, or all of them."""
    if not views:
        return VIEWS
    unknown = [v for v in views if v not in VIEWS]
    if unknown:
        raise ValueError(f"unknown view {unknown[0]!r}; use one of {', '.join(VIEWS)}")
    return views


def breakdown(report: dict[str, Any], view: str) -> list[dict[str, Any]]:
    """The rows of one breakdown (`by_category`, `by_market` or `by_template`)."""
    rows: list[dict[str, Any]] = report.get(f"by_{view}") or []
    return rows


def limit_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every spending limit of the report, as in the policy block (a plain --budget is one row)."""
    policy = report.get("policy")
    if policy:
        rows: list[dict[str, Any]] = policy.get("limits") or []
        return rows
    budget = report.get("budget") or {}
    if budget.get("limit") is None:
        return []
    used = Decimal(all_in(report["totals"]))
    limit = Decimal(budget["limit"])
    fraction = None if limit == 0 else used / limit
    return [
        {
            "scope": "total",
            "name": "total",
            "limit": budget["limit"],
            "used": all_in(report["totals"]),
            "remaining": format_money(limit - used),
            "percent": None if fraction is None else percent_text(fraction).rstrip("%"),
            "warn_at": None,
            "status": "broken" if budget.get("exceeded") or budget.get("incomplete") else "ok",
            "source": "--budget",
        }
    ]


def limit_label(row: dict[str, Any]) -> str:
    """`Total`, `Category marketing`, `Market India`."""
    if row["scope"] == "total":
        return "Total"
    return f"{row['scope'].capitalize()} {row['name']}"


def overall_status(report: dict[str, Any]) -> str | None:
    """`ok`, `warning` or `broken` for the report's limits; None when it has none."""
    rows = limit_rows(report)
    if not rows:
        return None
    states = {row["status"] for row in rows}
    return "broken" if "broken" in states else "warning" if "warning" in states else "ok"


def template_name(row: dict[str, Any]) -> str:
    return row.get("template") or "(non-template)"


def has_fees(report: dict[str, Any]) -> bool:
    """Whether the report adds BSP fees to Meta's price (its rows then carry fees and total_cost)."""
    return report["totals"].get("total_cost") is not None


def all_in(row: dict[str, Any]) -> str:
    """What a row (or the totals) costs all in: Meta's price plus any BSP fees (what --budget counts)."""
    value: str = row.get("total_cost") or row["cost"]
    return value


def notes(report: dict[str, Any]) -> list[str]:
    """One sentence each on how the report was priced, beyond the rate card: fees, currency, free tiers."""
    out: list[str] = []
    cur = report["currency"]
    expected = report["totals"].get("expected_cost")
    if expected is not None:
        source = (report.get("delivery_rates") or {}).get("source")
        out.append(
            f"Expected cost: {expected} {cur} at the delivery rates of {source}; at most "
            f"{report['totals']['cost']} {cur} if every message is delivered."
        )
    fees = report.get("fees")
    if fees:
        out.append(
            f"BSP fees: {fees.get('profile')} — {fees.get('total_fees')} {cur} on top of Meta's "
            f"{fees.get('meta_cost')} {cur}." + (f" {fees['note']}" if fees.get("note") else "")
        )
    fx = report.get("fx")
    if fx:
        out.append(
            f"Currency: 1 {fx.get('from')} = {fx.get('rate')} {fx.get('to')}"
            + (f"; {fx['note']}." if fx.get("note") else ".")
        )
    tier = report.get("service_free_tier")
    if tier:
        if tier.get("applied"):
            out.append(
                f"Service free tier: {tier.get('absorbed', 0):,} service messages free of "
                f"{tier.get('allowance', 0):,} left this month ({tier.get('sender_numbers')} sender "
                f"number(s) × {tier.get('per_number', 0):,}, {tier.get('used_before', 0):,} used before)."
            )
        elif tier.get("note"):
            out.append(f"Service free tier: {tier['note']}.")
    for notice in report.get("notices") or []:
        example = f" (e.g. {notice['example']})" if notice.get("example") else ""
        out.append(
            f"{notice['message'][:1].upper()}{notice['message'][1:]}: {notice['count']:,} messages{example}."
        )
    volume = report.get("volume_tiers")
    if volume:
        bands = volume.get("bands") or {}
        start = (
            f"month-to-date usage from {volume['usage']}"
            if volume.get("usage")
            else "counted from 0 this month (no usage given)"
        )
        discounted = {
            (line["market"], line["category"])
            for line in report.get("lines") or []
            if line.get("tier") and not str(line["tier"]).startswith("0:")
        }
        out.append(
            f"Volume tiers: {start}; "
            + (
                f"{len(bands)} market/category pair(s) on Meta's bands, "
                f"{len(discounted)} past the first band."
                if bands
                else "no volume tier reached."
            )
        )
    return out


def comparison_rows(report: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    """The markets whose cost moves on the --compare-date card, biggest moves first."""
    comparison = report.get("comparison") or {}
    rows = [r for r in comparison.get("by_market") or [] if Decimal(r["difference"]) != 0]
    return rows[:limit]


def signed(amount: str) -> str:
    """A difference with its sign: `+21.2500`, `-21.2500`, `0.0000`."""
    return amount if amount.startswith("-") or Decimal(amount) == 0 else f"+{amount}"


# Characters that could steer a terminal or reorder text: C0/C1 controls (ANSI escapes start
# with ESC or CSI), DEL, and the bidirectional overrides and isolates.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control or bidi character written out (ESC as \\x1b), and lone
    surrogates replaced: safe on a terminal and in any file."""
    if text.isprintable():
        return text
    text = _UNSAFE.sub(_visible, text)
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _printable_data(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {_printable_data(k): _printable_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable_data(v) for v in value]
    return value


def printable_estimate(report: Estimate) -> Estimate:
    """`report`, with every string in it made `printable` (the same object when all are)."""
    from wacost.report.document import from_dict, to_dict

    data = to_dict(report)
    clean = _printable_data(data)
    return report if clean == data else from_dict(clean)


def card_currency(report: dict[str, Any]) -> str:
    """The rate card's currency as a report shows it: `USD`, or `USD (converted to EUR at 0.92
    per USD)` when the report's currency is a conversion (--fx-rate), not a published card."""
    fx = report.get("fx")
    if fx:
        return f"{fx['from']} (converted to {fx['to']} at {fx['rate']} per {fx['from']})"
    return str(report["currency"])


def money(amount: str | None) -> str:
    """An amount with thousands separators, as people read it: `159,150.0000` (blank for None)."""
    if amount is None or amount == "":
        return ""
    return f"{Decimal(amount):,}"


def per_thousand(cost: str, messages: int) -> str:
    """What 1,000 messages cost on average, to two decimal places: `28.15` (blank for none)."""
    if not messages:
        return ""
    value = (Decimal(cost) * 1000 / messages).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:,}"


NOT_BILLED = "Not billed"


def not_billed(report: dict[str, Any], view: str) -> int:
    """Messages the total counts that no row of a breakdown holds: invalid numbers, planning
    rows with an unknown country, unpriced markets (the `Not billed` row that makes a table add
    up to its total)."""
    rows = breakdown(report, view)
    return max(0, int(report["totals"]["messages"]) - sum(int(r["messages"]) for r in rows))


def verdict(report: dict[str, Any]) -> tuple[str, str] | None:
    """The budget verdict, first thing a report says: (status, sentence), status `ok`,
    `warning` or `broken`; None without a budget or policy."""
    rows = limit_rows(report)
    if not rows:
        return None
    cur = report["currency"]
    if (report.get("budget") or {}).get("incomplete") or (report.get("policy") or {}).get(
        "incomplete"
    ):  # a total that leaves billable messages unpriced passes no budget
        return "broken", "BUDGET NOT CHECKED: the total leaves billable messages unpriced"
    broken = [r for r in rows if r["status"] == "broken"]
    if broken:

        def over(r: dict[str, Any]) -> str:
            by = money(format_money(Decimal(r["used"]) - Decimal(r["limit"])))
            return f"by {by} {cur}: {money(r['used'])} of {money(r['limit'])} {cur}"

        if [r["scope"] for r in broken] == ["total"]:
            return "broken", f"OVER BUDGET {over(broken[0])}"
        return "broken", "OVER LIMIT: " + "; ".join(
            f"{limit_label(r).lower()} {over(r)}" for r in broken
        )
    warned = [r for r in rows if r["status"] == "warning"]
    total = next((r for r in rows if r["scope"] == "total"), None)
    if total is not None:
        text = (
            f"Within budget: {money(total['remaining'])} {cur} left of {money(total['limit'])}"
            + (f" ({total['percent']}% used)" if total.get("percent") is not None else "")
        )
    else:
        text = f"Within every limit ({len(rows)})"
    if warned:
        text += "; near the limit: " + ", ".join(limit_label(r).lower() for r in warned)
        return "warning", text
    return "ok", text


def comparison_view(report: dict[str, Any]) -> dict[str, Any] | None:
    """The --compare-date comparison as people read it: from the older date to the newer.

    The saved report keeps `cost` (on --date), `compare_cost` (on --compare-date) and their
    `difference` (compare - cost); this turns them into old, new and change = new - old, with
    each date named, for markets and categories whose cost moves.
    """
    comparison = report.get("comparison")
    if not comparison:
        return None
    base = {"date": report["date"], "effective": report["rate_card"]["effective_from"]}
    other = {"date": comparison["date"], "effective": comparison["rate_card"]["effective_from"]}
    swap = comparison["date"] < report["date"]  # the other date is the older one
    old, new = (other, base) if swap else (base, other)

    def turn(row: dict[str, Any], key: str) -> dict[str, Any]:
        a, b = (row["compare_cost"], row["cost"]) if swap else (row["cost"], row["compare_cost"])
        return {
            "name": row[key],
            "old": a,
            "new": b,
            "change": format_money(Decimal(b) - Decimal(a)),
        }

    total_old, total_new = (
        (comparison["cost"], report["totals"]["cost"])
        if swap
        else (report["totals"]["cost"], comparison["cost"])
    )
    return {
        "old": old,
        "new": new,
        "old_cost": total_old,
        "new_cost": total_new,
        "change": format_money(Decimal(total_new) - Decimal(total_old)),
        "by_category": [
            turn(r, "category")
            for r in comparison.get("by_category") or []
            if Decimal(r["difference"]) != 0
        ],
        "by_market": [
            turn(r, "market")
            for r in comparison.get("by_market") or []
            if Decimal(r["difference"]) != 0
        ],
    }


def report_console(buffer: Any, width: int, color: bool, **options: Any) -> Any:
    """The Rich console every human format prints into: `width` columns, colour codes only
    if `color`, and names taken as data (no markup, no emoji codes, no highlighting)."""
    from rich.console import Console

    return Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="auto" if color else None,
        highlight=False,
        markup=False,  # names are data: [bold] in a name is printed, not applied
        emoji=False,
        **options,
    )
