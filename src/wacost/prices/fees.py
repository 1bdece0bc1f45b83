"""BSP fee profiles: what a provider adds on top of Meta's price.

A profile (YAML, `schema: wacost.fees/1`) gives a per-message fee and a percentage markup,
either of which may differ per category, and a fee for failed messages if the provider
charges one. Profiles for some providers ship in `wacost/fee_profiles/`; `--fees NAME` picks
one of them, `--fees PATH` reads a file. See the README for the format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path

from wacost.amounts import AmountError, parse_amount
from wacost.currencies import currency_code
from wacost.errors import PricingTableError, literal
from wacost.files import MAX_SETTINGS_BYTES, load_yaml_file
from wacost.models import Category

FEES_SCHEMA = "wacost.fees/1"
_KEYS = {
    "schema",
    "name",
    "currency",
    "source",
    "confidence",
    "note",
    "per_message",
    "markup_percent",
    "applies_to",
    "failed_message_fee",
    "categories",
}
_CATEGORY_KEYS = {"per_message", "markup_percent"}


@dataclass(frozen=True)
class FeeRule:
    per_message: Decimal = Decimal(0)
    markup_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class FeeProfile:
    name: str
    currency: str
    source: str
    confidence: str
    default: FeeRule
    by_category: Mapping[Category, FeeRule] = field(default_factory=dict)
    applies_to: str = "billable"  # "billable": charged messages only; "all": every message sent
    failed_message_fee: Decimal = Decimal(0)
    note: str = ""

    def rule(self, category: Category) -> FeeRule:
        return self.by_category.get(category, self.default)


def shipped_profiles_dir() -> Path:
    return Path(str(resources.files("wacost") / "fee_profiles"))


def shipped_profile_names() -> list[str]:
    return sorted(p.stem for p in shipped_profiles_dir().glob("*.yaml"))


def _amount(value: object, where: str, key: str) -> Decimal:
    """A fee, read by the one amount rule (`wacost.amounts`)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, int | Decimal) and not isinstance(value, bool) and value < 0:
        raise PricingTableError(f"{where}: {key}: negative", "fees are zero or more")
    try:
        return parse_amount(value)
    except AmountError as error:
        raise PricingTableError(f"{where}: {key}: {error.describe(value)}", error.hint) from None


def _rule(
    data: Mapping[str, object], where: str, prefix: str, base: FeeRule | None = None
) -> FeeRule:
    base = base or FeeRule()
    return FeeRule(
        per_message=_amount(data["per_message"], where, f"{prefix}per_message")
        if "per_message" in data
        else base.per_message,
        markup_percent=_amount(data["markup_percent"], where, f"{prefix}markup_percent")
        if "markup_percent" in data
        else base.markup_percent,
    )


def parse_fee_profile(data: object, where: str) -> FeeProfile:
    if not isinstance(data, dict):
        raise PricingTableError(f"{where}: a fee profile must be a mapping", "see README, BSP fees")
    for key in data:
        if key not in _KEYS:
            raise PricingTableError(
                f"{where}: {key}: unknown key", f"allowed: {', '.join(sorted(_KEYS))}"
            )
    if data.get("schema") != FEES_SCHEMA:
        raise PricingTableError(
            f"{where}: schema: expected {FEES_SCHEMA!r}", "see README, BSP fees"
        )
    currency = data.get("currency", "USD")
    if currency_code(currency) is None:
        raise PricingTableError(
            f"{where}: currency: {currency!r} is not an ISO 4217 code", "write e.g. USD"
        )
    applies_to = data.get("applies_to", "billable")
    if applies_to not in ("billable", "all"):
        raise PricingTableError(f"{where}: applies_to: {applies_to!r}", "write billable or all")
    default = _rule(data, where, "")
    by_category: dict[Category, FeeRule] = {}
    categories = data.get("categories", {}) or {}
    if not isinstance(categories, dict):
        raise PricingTableError(f"{where}: categories: must map categories to fees", "see README")
    for name, body in categories.items():
        category = Category.parse(str(name))
        if category is None or not isinstance(body, dict):
            raise PricingTableError(
                f"{where}: categories.{name}: not a category with fees", "see README"
            )
        for key in body:
            if key not in _CATEGORY_KEYS:
                raise PricingTableError(
                    f"{where}: categories.{name}.{key}: unknown key",
                    "per_message or markup_percent",
                )
        by_category[category] = _rule(body, where, f"categories.{name}.", default)
    source = data.get("source", "")
    if isinstance(source, dict):
        source = source.get("url", "") or next(iter(source.values()), "")
    return FeeProfile(
        name=str(data.get("name", Path(where).stem)),
        currency=currency_code(currency) or "",
        source=str(source),
        confidence=str(data.get("confidence", "unknown")),
        default=default,
        by_category=by_category,
        applies_to=str(applies_to),
        failed_message_fee=_amount(data.get("failed_message_fee"), where, "failed_message_fee"),
        note=str(data.get("note", "")),
    )


def load_fee_profile(name_or_path: str) -> FeeProfile:
    """A shipped profile by name (e.g. `twilio`), or a profile file by path."""
    if not name_or_path.strip():  # an unset variable must not drop the fees without a word
        raise PricingTableError(
            "{0} is empty",
            f"name a shipped profile ({', '.join(shipped_profile_names())}) or a YAML file, "
            "or leave it out for Meta's price alone",
            "fees",
        )
    path = Path(name_or_path)
    if not path.exists():
        shipped = shipped_profiles_dir() / f"{name_or_path.lower()}.yaml"
        if not shipped.exists():
            raise PricingTableError(
                f"{{0}} {literal(repr(name_or_path))}: no such file or shipped profile",
                f"shipped profiles: {', '.join(shipped_profile_names())}; or give a YAML file",
                "fees",
            )
        path = shipped
    return parse_fee_profile(load_yaml_file(path, "fee profile", MAX_SETTINGS_BYTES), str(path))
