"""Budget policies: spending limits per category, per market and in total, with a warning threshold.

A policy is a small YAML file::

    currency: USD        # optional; the report must be in this currency
    warn_at: 80%         # warn when a limit is this much used (default 80%)
    total: 2000          # the whole campaign; --budget or WACOST_BUDGET replace it
    categories:
      marketing: 1200
      authentication: {limit: 200, warn_at: 90%}
    markets:
      India: 300

`evaluate` checks a report against a policy and returns the report's "policy" block. A limit
is *broken* when the cost is above it (as with --budget) and *warned* when the cost reaches
its warning threshold; only a broken limit fails a run (exit 1), a warning never does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from pathlib import Path

from wacost.amounts import AmountError, parse_amount
from wacost.currencies import CURRENCY_HINT, currency_code
from wacost.errors import InputFileError, OptionError
from wacost.files import MAX_SETTINGS_BYTES, load_yaml_file
from wacost.models import Category
from wacost.report.model import CategoryRow, Estimate, LimitResult, MarketRow, PolicyResult

DEFAULT_WARN_AT = Decimal(80)
_KEYS = ("currency", "warn_at", "total", "categories", "markets")
_PERCENT_PLACES = Decimal("0.1")


class Scope(str, Enum):
    """What a limit caps: the whole campaign, one billing category, or one market."""

    TOTAL = "total"
    CATEGORY = "category"
    MARKET = "market"


class Status(str, Enum):
    """Where spending stands against a limit (or a whole policy)."""

    OK = "ok"
    WARNING = "warning"
    BROKEN = "broken"


@dataclass(frozen=True)
class Limit:
    """One cap on spending, in the report's currency; `warn_at` is a percentage of `amount`."""

    scope: Scope
    name: str
    amount: Decimal
    warn_at: Decimal
    source: str

    @property
    def label(self) -> str:
        """How people and CI name this limit: `total`, `category marketing`, `market India`."""
        return "total" if self.scope is Scope.TOTAL else f"{self.scope.value} {self.name}"


@dataclass(frozen=True)
class Policy:
    """A set of limits, with the threshold at which to warn."""

    limits: tuple[Limit, ...] = ()
    warn_at: Decimal = DEFAULT_WARN_AT
    currency: str | None = None
    source: str | None = None

    @property
    def total(self) -> Decimal | None:
        """The limit on the whole campaign, or None."""
        for limit in self.limits:
            if limit.scope is Scope.TOTAL:
                return limit.amount
        return None

    def with_total(self, amount: Decimal, source: str) -> Policy:
        """This policy with its total limit replaced (an explicit --budget or WACOST_BUDGET wins)."""
        kept = tuple(limit for limit in self.limits if limit.scope is not Scope.TOTAL)
        total = Limit(Scope.TOTAL, "total", amount, self.warn_at, source)
        return replace(self, limits=(total, *kept))


def _amount(value: object, where: str) -> Decimal:
    """A limit, read by the one amount rule (`wacost.amounts`): `2,5` is refused, never 25."""
    try:
        return parse_amount(value)
    except AmountError as error:
        raise InputFileError(f"{where}: {error.describe(value)}", error.hint) from None


def parse_percent(value: object, where: str) -> Decimal:
    """A warning threshold as a percentage: `80%` or `80` (a number is read as a percentage)."""
    text = str(value).strip()
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise InputFileError(f"{where}: {value!r} is not a percentage", "write e.g. 80%")
    try:
        percent = Decimal(text.removesuffix("%").strip())
    except InvalidOperation:
        raise InputFileError(f"{where}: {value!r} is not a percentage", "write e.g. 80%") from None
    if not percent.is_finite() or not Decimal(1) <= percent <= Decimal(100):
        raise InputFileError(
            f"{where}: {text} is not a percentage from 1% to 100%",
            "write e.g. 80% or 80 to warn when 80% of a limit is used",
        )
    return percent


def _limits(
    section: object, scope: Scope, warn_at: Decimal, where: str, source: str
) -> list[Limit]:
    if section is None:
        return []
    if not isinstance(section, Mapping):
        raise InputFileError(
            f"{where}: expected a mapping of {scope.value} name to amount",
            f"write e.g. {'marketing' if scope is Scope.CATEGORY else 'India'}: 500",
        )
    limits: list[Limit] = []
    seen: set[str] = set()
    for key, value in section.items():
        if not isinstance(key, str):
            raise InputFileError(
                f"{where}: {key!r} is not a {scope.value} name",
                "quote names YAML reads as something else, e.g. 'NO'",
            )
        here = f"{where}.{key}"
        if scope is Scope.CATEGORY:
            category = Category.parse(key)
            if category is None:
                raise InputFileError(
                    f"{here}: unknown category",
                    f"use one of {', '.join(c.value for c in Category)}",
                )
            name = category.value
        else:
            name = key.strip()
        if name.lower() in seen:
            raise InputFileError(
                f"{here}: {scope.value} {name!r} is limited twice", "keep one limit"
            )
        seen.add(name.lower())
        limit_warn = warn_at
        if isinstance(value, Mapping):
            unknown = set(value) - {"limit", "warn_at"}
            if unknown or "limit" not in value:
                raise InputFileError(
                    f"{here}: expected an amount, or a mapping with limit and warn_at",
                    "write e.g. {limit: 500, warn_at: 90%}",
                )
            if value.get("warn_at") is not None:
                limit_warn = parse_percent(value["warn_at"], f"{here}.warn_at")
            amount = _amount(value["limit"], f"{here}.limit")
        else:
            amount = _amount(value, here)
        limits.append(Limit(scope, name, amount, limit_warn, source))
    return limits


def parse_policy(data: object, where: str) -> Policy:
    """The policy in `data` (a YAML document); `where` names the file in errors."""
    hint = "a policy has total, categories, markets and warn_at (see README, Budget policies)"
    if data is None:
        raise InputFileError(f"{where}: the policy is empty", hint)
    if not isinstance(data, Mapping):
        raise InputFileError(f"{where}: a policy is a mapping, not a {type(data).__name__}", hint)
    for key in data:
        if key not in _KEYS:
            raise InputFileError(f"{where}: unknown key {key!r}", f"use {', '.join(_KEYS)}")
    source = Path(where).name
    warn_at = DEFAULT_WARN_AT
    if data.get("warn_at") is not None:
        warn_at = parse_percent(data["warn_at"], f"{where}: warn_at")
    currency = data.get("currency")
    if currency is not None and currency_code(currency) is None:
        raise InputFileError(
            f"{where}: currency {currency!r} is not a currency code", CURRENCY_HINT
        )
    limits: list[Limit] = []
    if data.get("total") is not None:
        limits.append(
            Limit(Scope.TOTAL, "total", _amount(data["total"], f"{where}: total"), warn_at, source)
        )
    limits += _limits(
        data.get("categories"), Scope.CATEGORY, warn_at, f"{where}: categories", source
    )
    limits += _limits(data.get("markets"), Scope.MARKET, warn_at, f"{where}: markets", source)
    if not limits:
        raise InputFileError(f"{where}: the policy sets no limit", hint)
    return Policy(tuple(limits), warn_at, currency_code(currency) if currency else None, source)


def load_policy(path: Path) -> Policy:
    """The policy in the YAML file at `path`, or an InputFileError naming the file and key."""
    return parse_policy(load_yaml_file(path, "policy", MAX_SETTINGS_BYTES), str(path))


def check_markets(
    policy: Policy,
    markets: Iterable[str],
    market_of_country: Callable[[str], str | None] | None = None,
) -> Policy:
    """`policy` with its market names spelled as on the rate card; a name not on it is an error.

    A market may also be named by an ISO country code (`BR`), as `wacost rates --market BR`
    takes it: `market_of_country` gives the market that bills that country. A misspelt market
    would otherwise never be used, and its limit never broken.
    """
    known = {name.lower(): name for name in markets}
    limits = []
    seen: dict[str, str] = {}
    for limit in policy.limits:
        if limit.scope is Scope.MARKET:
            name = known.get(limit.name.lower())
            code = limit.name.strip().upper()
            if name is None and market_of_country is not None and len(code) == 2:
                name = market_of_country(code)
            if name is None:
                raise InputFileError(
                    f"{policy.source or 'policy'}: markets.{limit.name}: not a market on the rate card",
                    "spell markets as Meta's rate card does (see `wacost rates`), e.g. India, "
                    "Rest of Western Europe, or give an ISO country code, e.g. IN",
                )
            if name in seen:
                raise InputFileError(
                    f"{policy.source or 'policy'}: markets.{limit.name}: the same market as "
                    f"markets.{seen[name]} ({name})",
                    "keep one limit per market",
                )
            seen[name] = limit.name
            limit = replace(limit, name=name)
        limits.append(limit)
    return replace(policy, limits=tuple(limits))


def _percent(used: Decimal, limit: Decimal) -> Decimal | None:
    if limit == 0:
        return None
    return (used * 100 / limit).quantize(_PERCENT_PLACES, rounding=ROUND_HALF_UP)


def _status(used: Decimal, limit: Limit) -> Status:
    if used > limit.amount:
        return Status.BROKEN
    if used * 100 >= limit.amount * limit.warn_at and used > 0:
        return Status.WARNING
    return Status.OK


def _used(estimate: Estimate, limit: Limit) -> Decimal:
    """What the estimate spends under `limit`, all in (Meta's price plus BSP fees, as --budget counts)."""
    if limit.scope is Scope.TOTAL:
        return estimate.totals.all_in
    if limit.scope is Scope.CATEGORY:
        rows: Iterable[CategoryRow | MarketRow] = (
            r for r in estimate.by_category if r.category.value == limit.name
        )
    else:
        rows = (r for r in estimate.by_market if r.market == limit.name)
    return sum((row.all_in for row in rows), Decimal(0))


def evaluate(estimate: Estimate, policy: Policy) -> PolicyResult:
    """Every limit of `policy`, how much of it the estimate uses, and which are broken or warned.

    `percent` is the share of the limit used, rounded half up to one decimal place (None for a
    limit of 0).
    """
    if policy.currency is not None and policy.currency != estimate.currency:
        raise OptionError(
            f"{policy.source or 'policy'}: currency {policy.currency}, but the report is in "
            f"{estimate.currency}",
            "write the limits in the report's currency",
        )
    rows = []
    for limit in policy.limits:
        used = _used(estimate, limit)
        rows.append(
            LimitResult(
                scope=limit.scope.value,
                name=limit.name,
                limit=limit.amount,
                used=used,
                remaining=limit.amount - used,
                percent=_percent(used, limit.amount),
                warn_at=limit.warn_at,
                status=_status(used, limit).value,
                source=limit.source,
            )
        )
    broken = tuple(r.label for r in rows if r.status == Status.BROKEN.value)
    warned = tuple(r.label for r in rows if r.status == Status.WARNING.value)
    status = Status.BROKEN if broken else Status.WARNING if warned else Status.OK
    return PolicyResult(
        source=policy.source,
        warn_at=policy.warn_at,
        status=status.value,
        exceeded=bool(broken),
        # billable messages without a price: the limits are checked on a lower bound
        incomplete=True if estimate.unpriced is not None else None,
        broken=broken,
        warned=warned,
        limits=tuple(rows),
    )


def apply_policy(estimate: Estimate, policy: Policy) -> Estimate:
    """`estimate` with `policy` checked against it."""
    return replace(estimate, policy=evaluate(estimate, policy))


def recheck(estimate: Estimate) -> Estimate:
    """A saved estimate with its budget and policy checked again from its own totals and rows.

    A report edited after it was saved (a lower cost, an `exceeded: false`) is judged by its
    figures, never by its verdicts.
    """
    limit = estimate.budget.limit
    budget = replace(
        estimate.budget,
        exceeded=limit is not None and estimate.totals.all_in > limit,
        incomplete=True if limit is not None and estimate.unpriced is not None else None,
    )
    checked = replace(estimate, budget=budget)
    saved = estimate.policy
    if saved is None:
        return checked
    limits = []
    for row in saved.limits:
        try:
            scope = Scope(row.scope)
        except ValueError:
            raise InputFileError(
                f"policy.limits: scope {row.scope[:40]!r} is not total, category or market",
                "save the report again with estimate --format json",
            ) from None
        warn_at = row.warn_at if row.warn_at is not None else saved.warn_at
        limits.append(Limit(scope, row.name, row.limit, warn_at, row.source or ""))
    again = Policy(tuple(limits), saved.warn_at, None, saved.source)
    result = evaluate(checked, again)
    sources = tuple(replace(r, source=s.source) for r, s in zip(result.limits, saved.limits))
    return replace(checked, policy=replace(result, limits=sources))


def over_limit(estimate: Estimate) -> bool:
    """Whether an estimate breaks its budget or any limit of its policy (exit code 1)."""
    return estimate.over_limit


__all__ = [
    "DEFAULT_WARN_AT",
    "Limit",
    "Policy",
    "Scope",
    "Status",
    "apply_policy",
    "check_markets",
    "evaluate",
    "load_policy",
    "over_limit",
    "parse_percent",
    "parse_policy",
    "recheck",
]
