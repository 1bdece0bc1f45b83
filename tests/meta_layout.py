"""Files laid out cell for cell like Meta's October 2026 USD rate and volume-tier files.

The layout is that of Meta's own files as preserved (see the facts file, section 8): the rate
file has a title row, a notice row, an "Effective ..." row, then the header `Market, Currency,
Marketing, Utility, Authentication, Authentication-\\nInternational, Service` and one row per
market, with `n/a` where a market has no such rate and numbers stored as spreadsheet floats.
The tier file has a title row, two notice rows, a category row (`Market\\n(per rate card)`,
`Utility`, `Authentication`, `Authentication-International`), a row `Messages (per month)` /
`What we charge`, the header `Currency, From, To, Rate type, Rate, vs. List rate` per category,
then six rows per market (the name on the first only), `--` as the open upper bound and `n/a`
across a category the market does not have. Band rates are Meta's: the list rate less 5 % a
band (India 6 %), rounded half up to 4 places; band edges are those of Meta's file.
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

# The 47 rows of Meta's October 2026 USD rate file, in its order:
# market | marketing | utility | authentication | authentication-international | service
OCTOBER_USD_RATES = """\
Argentina|0.0618|0.026|0.026|n/a|0.026
Bangladesh|0.0732|0.0037|0.0037|0.096|0.0037
Brazil|0.0625|0.0068|0.0068|n/a|0.0068
Chile|0.0889|0.02|0.02|n/a|0.02
Colombia|0.0125|0.0008|0.0008|n/a|0.0008
Egypt|0.0644|0.0036|0.0036|0.065|0.0036
France|0.0859|0.03|0.03|n/a|0.03
Germany|0.1365|0.055|0.055|n/a|0.055
Hong Kong|0.0732|0.026|0.026|n/a|0.026
Hungary|0.086|0.035|0.035|n/a|0.035
India|0.0118|0.0014|0.0014|0.0304|0.0014
Indonesia|0.0411|0.025|0.025|0.136|0.025
Iraq|0.0341|0.0079|0.0079|0.128|0.0079
Israel|0.0353|0.0053|0.0053|n/a|0.0053
Italy|0.0795|0.03|0.03|n/a|0.03
Kazakhstan|0.0604|0.018|0.018|0.16|0.018
Kuwait|0.0792|0.044|0.044|0.12|0.044
Malaysia|0.086|0.014|0.014|0.0418|0.014
Mexico|0.0397|0.0085|0.0085|n/a|0.0085
Morocco|0.0414|0.023|0.023|0.0811|0.023
Netherlands|0.1597|0.05|0.05|n/a|0.05
Nepal|0.0732|0.0034|0.0034|0.112|0.0034
Nigeria|0.0516|0.0067|0.0067|0.075|0.0067
Oman|0.0341|0.0247|0.0247|0.06|0.0247
Pakistan|0.0473|0.015|0.015|0.075|0.015
Peru|0.0703|0.03|0.03|n/a|0.03
Poland|0.0366|0.0122|0.0122|n/a|0.0122
Qatar|0.0341|0.012|0.012|n/a|0.012
Romania|0.086|0.029|0.029|n/a|0.029
Russia|0.0802|0.04|0.04|n/a|0.04
Saudi Arabia|0.0576|0.0107|0.0107|0.0598|0.0107
Singapore|0.0732|0.016|0.016|n/a|0.016
South Africa|0.0379|0.0095|0.0095|0.02|0.0095
Spain|0.0707|0.02|0.02|n/a|0.02
Sri Lanka|0.0732|0.002|0.002|0.144|0.002
Turkey|0.0109|0.0009|0.0009|n/a|0.0009
Ukraine|0.086|0.0298|0.0298|0.0746|0.0298
United Arab Emirates|0.0576|0.0157|0.0157|0.051|0.0157
United Kingdom|0.0635|0.022|0.022|n/a|0.022
North America|0.025|0.0034|0.0034|n/a|0.0034
Rest of Africa|0.0225|0.004|0.004|n/a|0.004
Rest of Asia Pacific|0.0842|0.0113|0.0113|n/a|0.0113
Rest of Central & Eastern Europe|0.086|0.0212|0.0212|n/a|0.0212
Rest of Latin America|0.074|0.0113|0.0113|n/a|0.0113
Rest of Middle East|0.0392|0.0091|0.0091|n/a|0.0091
Rest of Western Europe|0.0592|0.0171|0.0171|n/a|0.0171
Other|0.0604|0.0077|0.0077|n/a|0.0077
"""

# Upper bounds of bands 1-5 (band 6 is open) in Meta's October tier file, per group of markets.
_MOST = (
    (100000, 1000000, 4500000, 40000000, 80000000),
    (300000, 2000000, 10000000, 20000000, 40000000),
)
_LATAM = (
    (100000, 1000000, 4500000, 15000000, 30000000),
    (120000, 400000, 1000000, 5000000, 10000000),
)
_APAC = (
    (150000, 1000000, 4000000, 25000000, 50000000),
    (100000, 300000, 1000000, 10000000, 20000000),
)
_SMALL = ((80000, 750000, 2250000, 3000000, 6000000), (100000, 500000, 2000000, 5000000, 10000000))
EDGES = {
    "Brazil": ((250000, 2000000, 17000000, 35000000, 70000000), (500000, 3000000, 5250000, 10000000, 20000000)),
    "India": ((25000000, 50000000, 100000000, 200000000, 300000000), (750000, 15000000, 20000000, 50000000, 100000000)),
    "Indonesia": ((750000, 4000000, 25000000, 75000000, 150000000), (750000, 2000000, 6000000, 30000000, 60000000)),
    "Mexico": ((1000000, 5000000, 10000000, 20000000, 40000000), (250000, 1000000, 3000000, 5000000, 10000000)),
    **{m: _LATAM for m in ("Argentina", "Chile", "Colombia", "Peru", "Rest of Latin America")},
    **{m: _APAC for m in ("Bangladesh", "Hong Kong", "Malaysia", "Nepal", "Pakistan", "Singapore",
                          "Sri Lanka", "Rest of Asia Pacific")},
    **{m: _SMALL for m in ("Kazakhstan", "North America", "Other")},
}  # fmt: skip

RATES_TITLE = "Cost per message in USD on the WhatsApp Business Platform, effective October 1, 2026"
TIERS_TITLE = (
    "Cost per message in USD on the WhatsApp Business Platform, effective October 1, 2026 - "
    "Reflecting volume tiers for utility and authentication messages"
)
NOTICE = (
    "This is not our current rate card. This reflects future updates to rates. Please refer here "
    "for our current rates: https://developers.facebook.com/docs/whatsapp/pricing#rate-cards"
)


def rate_rows() -> list[list[str]]:
    return [line.split("|") for line in OCTOBER_USD_RATES.splitlines()]


def _number(text: str) -> float | str:
    return text if text == "n/a" else float(text)


def rates_sheet(currency_cell: str = "USD") -> list[list[object]]:
    """The rate file's cells, row by row, as in Meta's XLSX (numbers as floats)."""
    rows: list[list[object]] = [
        [RATES_TITLE] + [""] * 6,
        [NOTICE] + [""] * 6,
        ["Effective October 1, 2026 - Rates below will apply. Learn more here: "
         "https://developers.facebook.com/docs/whatsapp/pricing#updates-to-rate-cards "],
        ["Market", "Currency", "Marketing", "Utility", "Authentication",
         "Authentication-\nInternational", "Service"],
    ]  # fmt: skip
    for market, *values in rate_rows():
        rows.append([market, currency_cell, *(_number(v) for v in values)])
    return rows


def _band_rates(list_rate: Decimal, step: int) -> list[Decimal]:
    return [
        (list_rate * (1 - Decimal(step * i) / 100)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        for i in range(6)
    ]


def tiers_sheet() -> list[list[object]]:
    """The volume-tier file's cells, row by row, as in Meta's XLSX."""
    rows: list[list[object]] = [
        [TIERS_TITLE],
        [NOTICE],
        ["Please refer here for more detail on our volume tiers, effective  as of July 1, 2025: "
         "https://developers.facebook.com/docs/whatsapp/pricing/updates-to-pricing#volume-tiers "],
        ["Market\n(per rate card)", "", "Utility", "", "", "", "", "Authentication", "", "", "", "",
         "Authentication-International", "", "", "", ""],
        ["", "", "Messages (per month)", "", "What we charge", "", "", "Messages (per month)", "",
         "What we charge", "", "", "Messages (per month)", "", "What we charge", "", ""],
        ["", "Currency"] + ["From", "To", "Rate type", "Rate", "vs. List rate"] * 3,
    ]  # fmt: skip
    for market, _marketing, utility, auth, auth_intl, _service in rate_rows():
        utility_edges, auth_edges = EDGES.get(market, _MOST)
        step = 6 if market == "India" else 5
        groups = [
            (utility_edges, _band_rates(Decimal(utility), step)),
            (auth_edges, _band_rates(Decimal(auth), step)),
            None if auth_intl == "n/a" else (auth_edges, _band_rates(Decimal(auth_intl), step)),
        ]
        for band in range(6):
            row: list[object] = [market if band == 0 else "", "USD"]
            for group in groups:
                if group is None:
                    row += ["n/a"] * 5
                    continue
                edges, rates = group
                start = 0.0 if band == 0 else float(edges[band - 1] + 1)
                end: object = float(edges[band]) if band < 5 else "--"
                kind = "List rate" if band == 0 else "Tier rate"
                row += [start, end, kind, float(rates[band]), -float(Decimal(step * band) / 100)]
            rows.append(row)
    return rows


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for _ in range(20):  # Meta's sheets carry many empty formatted rows below the table
        sheet.append([None, None, None, None, "", "", ""])
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[object]], delimiter: str = ",") -> Path:
    """The same cells saved as CSV (numbers written the way a spreadsheet exports them)."""

    def text(value: object) -> str:
        if isinstance(value, float):
            return format(Decimal(repr(value)).normalize(), "f")
        return str(value)

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        for row in rows:
            writer.writerow([text(v) for v in row])
    return path
