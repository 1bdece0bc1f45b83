"""Fuzzing: random bytes, random CSV structure and random YAML/JSON fed to the readers.

Every outcome must be a report or wacost's own error (WacostError), never another exception.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wacost.errors import WacostError
from wacost.estimate import EstimateOptions, estimate_campaign
from wacost.prices.loading import load_price_book, parse_rate_card
from wacost.templates.definitions import TemplateBook, load_template_file, parse_templates

BOOK = load_price_book()
OPTIONS = EstimateOptions(date=dt.date(2026, 11, 25))
FUZZ = settings(
    max_examples=600, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
_DIR = Path(tempfile.mkdtemp(prefix="wacost-fuzz-"))
atexit.register(shutil.rmtree, _DIR, True)  # made at import: removed at exit


def _file(name: str, data: bytes) -> Path:
    path = _DIR / name
    path.write_bytes(data)
    return path


def _estimate_or_error(path: Path, options: EstimateOptions = OPTIONS) -> None:
    try:
        report = estimate_campaign([path], BOOK, TemplateBook(), options)
    except WacostError as error:
        assert str(error)
        return
    assert report.schema == "wacost.estimate/1"
    assert report.totals.messages >= 0


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_as_a_campaign(data):
    _estimate_or_error(_file("random.csv", data))


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_after_a_valid_header(data):
    _estimate_or_error(_file("header.csv", b"phone,template,count,window,category\n" + data))


HEADERS = st.lists(
    st.sampled_from(
        [
            "phone",
            "PHONE",
            "wa_id",
            "template",
            "language",
            "category",
            "count",
            "country",
            "window",
            "name",
            "x",
            "",
            "Mobile",
            "to",
        ]
    ),
    min_size=1,
    max_size=6,
)
FIELD = st.one_of(
    st.sampled_from(
        [
            "+46701234567",
            "070-123 45 67",
            "12345",
            "",
            "IN",
            "NA",
            "spring_sale",
            "1",
            "0",
            "-1",
            "3.5",
            "csw",
            "fep",
            "none",
            "marketing",
            "utility",
            "service",
            "authentication",
            '"quoted, field"',
            '"',
            "=1+1",
            "\u00c5sa",
            "99999999999999999999",
            "SE",
        ]
    ),
    st.text(max_size=12),
)


@FUZZ
@given(
    HEADERS,
    st.lists(st.lists(FIELD, max_size=7), max_size=8),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    st.sampled_from([None, "SE", "US"]),
)
def test_random_csv_structure(header, rows, delimiter, newline, encoding, default_country):
    text = newline.join(delimiter.join(r) for r in [header, *rows]) + newline
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    options = EstimateOptions(date=dt.date(2026, 11, 25), default_country=default_country)
    _estimate_or_error(_file("structured.csv", data), options)


YAML_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True),
        st.text(max_size=8),
        st.sampled_from(["unknown", "2026-10-01", "USD", "SE", "NO", "wacost.rate_card/1"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "schema",
                    "currency",
                    "effective_from",
                    "source",
                    "confidence",
                    "markets",
                    "rates",
                    "countries",
                    "default",
                    "marketing",
                    "utility",
                    "authentication",
                    "service",
                    "Other",
                    "India",
                    "name",
                    "data",
                    "category",
                    "language",
                    "components",
                    "free_rules",
                    "x",
                ]
            ),
            children,
            max_size=6,
        ),
    ),
    max_leaves=20,
)


@FUZZ
@given(YAML_VALUES)
def test_random_yaml_structures_as_rate_cards_and_templates(value):
    for parse in (parse_rate_card, parse_templates):
        try:
            parse(value, "fuzz.yaml")
        except WacostError:
            pass


@FUZZ
@given(st.text(max_size=300))
def test_random_yaml_text_as_price_table_and_template_file(text):
    card = _file("card.yaml", text.encode("utf-8", "surrogatepass"))
    try:
        load_price_book(card)
    except WacostError:
        pass
    templates = _file("templates.yaml", text.encode("utf-8", "surrogatepass"))
    try:
        load_template_file(templates)
    except WacostError:
        pass


@FUZZ
@given(YAML_VALUES)
def test_random_json_as_template_export(value):
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        return
    path = _file("templates.json", text.encode())
    try:
        load_template_file(path)
    except WacostError:
        pass


@FUZZ
@given(YAML_VALUES)
def test_random_yaml_dumped_rate_cards(value):
    path = _file("dumped.yaml", yaml.safe_dump(value).encode())
    try:
        load_price_book(path)
    except WacostError:
        pass
