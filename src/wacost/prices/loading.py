"""Load and validate price tables (rate cards) and pick the one in effect on a date.

A rate card is a YAML file (see pricing/README.md). Rates are exact `Decimal`s; a rate may be
None (the market has no such rate) or UNKNOWN (Meta has one but we do not know its value).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib import resources
from pathlib import Path

from wacost.amounts import AmountError, parse_amount
from wacost.currencies import currency_code
from wacost.errors import PricingTableError, literal
from wacost.files import MAX_SETTINGS_BYTES, read_text_file
from wacost.models import Category
from wacost.prices.cards import (
    CARD_SCHEMA,
    CONFIDENCE_LEVELS,
    NUMBERING_SCHEMA,
    SERVICE_CHARGING_STARTS,
    TIERED_CATEGORIES,
    UNKNOWN,
    Band,
    Market,
    Numbering,
    PriceBook,
    Rate,
    RateCard,
    Tiers,
)
from wacost.prices.parsed import load_table_text


def shipped_pricing_dir() -> Path:
    """The folder of price tables that ships with the package (or the repo's, in a checkout)."""
    packaged = resources.files("wacost") / "pricing"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "pricing"


# --- validation helpers ---------------------------------------------------------------------

_CARD_KEYS = {
    "schema",
    "currency",
    "effective_from",
    "source",
    "confidence",
    "confidence_note",
    "free_rules",
    "markets",
    "notes",
    "volume_tiers_note",
}
_MARKET_KEYS = {"countries", "rates", "default", "confidence", "note", "tiers"}
_FREE_RULE_KEYS = {"utility_in_customer_service_window", "service"}


def _fail(
    where: str, key: str, problem: str, hint: str = "fix the price table"
) -> PricingTableError:
    return PricingTableError(f"{where}: {key}: {problem}", hint)


def _parse_rate(value: object, where: str, key: str) -> Rate:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() == "unknown":
        return UNKNOWN
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _fail(where, key, f"{value!r} is not a rate", "write a number, null or unknown")
    if Decimal(value) < 0:
        raise _fail(where, key, f"negative rate {value}", "rates are zero or more")
    try:
        return parse_amount(value)
    except AmountError as error:
        raise _fail(where, key, error.describe(value), error.hint) from None


def _parse_date(value: object, where: str, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _fail(where, key, f"{value!r} is not a date", "write YYYY-MM-DD")


def _parse_country(value: object, where: str, key: str) -> str:
    if isinstance(value, bool):
        raise _fail(where, key, f"{value!r} is a boolean", 'quote country codes: "NO", "ON"')
    if not isinstance(value, str) or len(value) != 2 or not value.isalpha():
        raise _fail(where, key, f"{value!r} is not an ISO 3166 alpha-2 code", 'write e.g. "SE"')
    return value.upper()


def _parse_tiers(raw: object, where: str, key: str) -> dict[Category, Tiers]:
    """Volume bands per category: the first from 0 (Meta's notation; 1 is accepted too), each
    following band from the previous `to` + 1, the last open-ended (`to: null`)."""
    if not isinstance(raw, dict):
        raise _fail(where, key, "must map categories to bands")
    result: dict[Category, Tiers] = {}
    for name, body in raw.items():
        ckey = f"{key}.{name}"
        category = Category.parse(str(name))
        if category not in TIERED_CATEGORIES:
            raise _fail(where, ckey, "volume tiers exist only for utility and authentication")
        assert category is not None
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("bands"), list)
            or not body["bands"]
        ):
            raise _fail(where, f"{ckey}.bands", "missing", "list the bands: {from, to, rate}")
        bands: list[Band] = []
        expected = 1
        for index, band in enumerate(body["bands"]):
            bkey = f"{ckey}.bands[{index}]"
            if not isinstance(band, dict):
                raise _fail(where, bkey, "a band is {from, to, rate}")
            first, last = band.get("from"), band.get("to")
            if index == 0 and first == 0 and not isinstance(first, bool):
                first = 1  # Meta prints the first band as 0..TO; it holds messages 1..TO
            if first != expected or isinstance(first, bool):
                raise _fail(
                    where,
                    f"{bkey}.from",
                    f"{first!r}: the first band starts at 0 and each next one at the previous "
                    f"`to` + 1 (expected {0 if index == 0 else expected})",
                )
            if last is not None and (
                not isinstance(last, int) or isinstance(last, bool) or last < first
            ):
                raise _fail(where, f"{bkey}.to", f"{last!r} is not a message count >= from")
            rate = _parse_rate(band.get("rate"), where, f"{bkey}.rate")
            if not isinstance(rate, Decimal):
                raise _fail(where, f"{bkey}.rate", "a band needs a known rate")
            bands.append(Band(first, last, rate))
            if last is None:
                if index != len(body["bands"]) - 1:
                    raise _fail(where, f"{bkey}.to", "only the last band is open-ended")
                break
            expected = last + 1
        if bands[-1].last is not None:
            raise _fail(where, f"{ckey}.bands", "the last band must be open-ended (to: null)")
        confidence = body.get("confidence", "low")
        if confidence not in CONFIDENCE_LEVELS:
            raise _fail(
                where,
                f"{ckey}.confidence",
                f"{confidence!r}",
                f"one of {', '.join(CONFIDENCE_LEVELS)}",
            )
        result[category] = Tiers(tuple(bands), str(body.get("source", "")), str(confidence))
    return result


def parse_rate_card(data: object, where: str) -> RateCard:
    """A RateCard from the parsed YAML `data`; PricingTableError naming the bad key if invalid."""
    if not isinstance(data, dict):
        raise _fail(where, "(top level)", "a rate card must be a mapping")
    unknown_keys = sorted(str(k) for k in data if k not in _CARD_KEYS)
    if unknown_keys:
        raise _fail(
            where, unknown_keys[0], "unknown key", f"allowed: {', '.join(sorted(_CARD_KEYS))}"
        )
    if data.get("schema") != CARD_SCHEMA:
        raise _fail(where, "schema", f"expected {CARD_SCHEMA!r}, found {data.get('schema')!r}")
    currency = currency_code(data.get("currency"))
    if currency is None:
        raise _fail(
            where, "currency", f"{data.get('currency')!r} is not an ISO 4217 code", "write e.g. USD"
        )
    effective = _parse_date(data.get("effective_from"), where, "effective_from")
    source = data.get("source")
    if isinstance(source, str):
        source = {"url": source}
    if not isinstance(source, dict) or not source:
        raise _fail(where, "source", "missing", "say where the figures come from (source.url)")
    source_map = {str(k): str(v) for k, v in source.items()}
    confidence = data.get("confidence")
    if confidence not in CONFIDENCE_LEVELS:
        raise _fail(
            where, "confidence", f"{confidence!r}", f"one of {', '.join(CONFIDENCE_LEVELS)}"
        )
    free_rules = data.get("free_rules", {})
    if not isinstance(free_rules, dict):
        raise _fail(where, "free_rules", "must be a mapping")
    for key in free_rules:
        if key not in _FREE_RULE_KEYS:
            raise _fail(
                where,
                f"free_rules.{key}",
                "unknown key",
                f"allowed: {', '.join(sorted(_FREE_RULE_KEYS))}",
            )
        if free_rules[key] not in ("free", "charged"):
            raise _fail(where, f"free_rules.{key}", f"{free_rules[key]!r}", "write free or charged")
    # Meta's rule change of 2026-10-01 is the default for cards that do not say.
    before_change = effective < SERVICE_CHARGING_STARTS
    default_rule = "free" if before_change else "charged"
    utility_free = free_rules.get("utility_in_customer_service_window", default_rule) == "free"
    service_free = free_rules.get("service", default_rule) == "free"

    raw_markets = data.get("markets")
    if not isinstance(raw_markets, dict) or not raw_markets:
        raise _fail(where, "markets", "missing or empty", "list the card's markets")
    markets: dict[str, Market] = {}
    owner: dict[str, str] = {}
    defaults = 0
    for name, body in raw_markets.items():
        mkey = f"markets.{name}"
        if not isinstance(name, str) or not name.strip():
            raise _fail(where, mkey, "a market name must be text")
        if not isinstance(body, dict):
            raise _fail(where, mkey, "must be a mapping with countries and rates")
        for key in body:
            if key not in _MARKET_KEYS:
                raise _fail(
                    where,
                    f"{mkey}.{key}",
                    "unknown key",
                    f"allowed: {', '.join(sorted(_MARKET_KEYS))}",
                )
        countries_raw = body.get("countries", [])
        if not isinstance(countries_raw, list):
            raise _fail(where, f"{mkey}.countries", "must be a list of ISO codes")
        countries = []
        for country_value in countries_raw:
            country = _parse_country(country_value, where, f"{mkey}.countries")
            if country in owner:
                raise _fail(
                    where,
                    f"{mkey}.countries",
                    f"{country} is also in {owner[country]}",
                    "a country belongs to one market",
                )
            owner[country] = name
            countries.append(country)
        is_default = body.get("default", False)
        if not isinstance(is_default, bool):
            raise _fail(where, f"{mkey}.default", "must be true or false")
        defaults += is_default
        if not countries and not is_default:
            raise _fail(
                where, f"{mkey}.countries", "empty", "list member countries or set default: true"
            )
        rates_raw = body.get("rates")
        if not isinstance(rates_raw, dict):
            raise _fail(where, f"{mkey}.rates", "missing", "give the market's rates per category")
        rates: dict[Category, Rate] = {}
        for key, value in rates_raw.items():
            category = Category.parse(str(key))
            if category is None:
                raise _fail(
                    where,
                    f"{mkey}.rates.{key}",
                    "unknown category",
                    "use marketing, utility, authentication, authentication_international, service",
                )
            rates[category] = _parse_rate(value, where, f"{mkey}.rates.{key}")
        for required in (Category.MARKETING, Category.UTILITY, Category.AUTHENTICATION):
            if rates.get(required) is None:
                raise _fail(
                    where,
                    f"{mkey}.rates.{required.value}",
                    "missing",
                    "every market needs marketing, utility and authentication (or unknown)",
                )
        if not service_free and rates.get(Category.SERVICE) is None:
            raise _fail(
                where,
                f"{mkey}.rates.service",
                "missing",
                "service is charged on this card: give its rate (or unknown)",
            )
        market_conf = body.get("confidence")
        if market_conf is not None and market_conf not in CONFIDENCE_LEVELS:
            raise _fail(
                where,
                f"{mkey}.confidence",
                f"{market_conf!r}",
                f"one of {', '.join(CONFIDENCE_LEVELS)}",
            )
        tiers = _parse_tiers(body["tiers"], where, f"{mkey}.tiers") if "tiers" in body else {}
        for category, tier in tiers.items():
            if rates.get(category) != tier.bands[0].rate:
                raise _fail(
                    where,
                    f"{mkey}.tiers.{category.value}.bands[0].rate",
                    f"{tier.bands[0].rate} differs from the list rate {rates.get(category)}",
                    "the first band is the list rate",
                )
        markets[name] = Market(
            name=name,
            countries=frozenset(countries),
            rates=rates,
            default=is_default,
            confidence=market_conf,
            note=str(body["note"]) if body.get("note") else None,
            tiers=tiers,
        )
    if defaults > 1:
        raise _fail(where, "markets", "more than one market has default: true", "keep one (Other)")
    return RateCard(
        currency=currency,
        effective_from=effective,
        source_url=source_map.get("url", next(iter(source_map.values()))),
        source=source_map,
        confidence=str(confidence),
        confidence_note=str(data.get("confidence_note", "")),
        utility_free_in_csw=utility_free,
        service_free=service_free,
        markets=markets,
        path=where,
        tiers_note=str(data.get("volume_tiers_note", "")),
    )


def parse_numbering(data: object, where: str) -> Numbering:
    if not isinstance(data, dict) or data.get("schema") != NUMBERING_SCHEMA:
        raise _fail(where, "schema", f"expected {NUMBERING_SCHEMA!r}")
    prefixes: dict[str, str] = {}
    for section in ("calling_codes", "network_prefixes"):
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise _fail(where, section, "must be a mapping of prefix: country")
        for prefix, country in table.items():
            text = str(prefix)
            if not text.isdigit() or not 1 <= len(text) <= 6:
                raise _fail(where, f"{section}.{prefix}", "a prefix is 1 to 6 digits")
            if country != "001":
                country = _parse_country(country, where, f"{section}.{prefix}")
            prefixes[text] = country
    if not prefixes:
        raise _fail(where, "calling_codes", "empty")
    return Numbering(prefixes=prefixes, path=where)


def _yaml_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def load_price_book(path: Path | None = None) -> PriceBook:
    """Every rate card in `path` (a file or folder; default: the shipped tables), validated.

    A user folder without a numbering plan uses the shipped one.
    """
    shipped = shipped_pricing_dir()
    root = path if path is not None else shipped
    if not root.exists():
        raise PricingTableError(f"{literal(root)}: no such file or folder", "check {0}", "pricing")
    cards: list[RateCard] = []
    numbering: Numbering | None = None
    for file in _yaml_files(root):
        data = load_table_text(read_text_file(file, "price table", MAX_SETTINGS_BYTES), str(file))
        schema = data.get("schema") if isinstance(data, dict) else None
        if schema == NUMBERING_SCHEMA:
            numbering = parse_numbering(data, str(file))
        elif schema == CARD_SCHEMA or path is not None:
            cards.append(parse_rate_card(data, str(file)))
    if not cards:
        raise PricingTableError(
            f"{literal(root)}: no rate cards found", "point {0} at rate-card YAML files", "pricing"
        )
    seen: dict[tuple[str, dt.date], str] = {}
    for card in cards:
        key = (card.currency, card.effective_from)
        if key in seen:
            raise PricingTableError(
                f"{card.path}: effective_from: {card.effective_from} {card.currency} "
                f"overlaps {seen[key]}",
                "keep one card per currency and effective date",
            )
        seen[key] = card.path
    if numbering is None:
        numbering_file = shipped / "numbering.yaml"
        text = read_text_file(numbering_file, "numbering plan")
        numbering = parse_numbering(load_table_text(text, str(numbering_file)), str(numbering_file))
    return PriceBook(
        cards=tuple(sorted(cards, key=lambda c: (c.currency, c.effective_from))),
        numbering=numbering,
    )
