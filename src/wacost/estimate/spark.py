"""The estimate with Spark counting the rows: the same report as `estimate_campaign`.

    from wacost.estimate.spark import estimate_spark
    report = estimate_spark(spark.read.parquet("s3://lists/campaign/"), book, templates, options)

`source` is a Spark DataFrame (the contract's columns) or a list of campaign files read by
Spark (CSV plain, .gz or .bz2; Parquet files and folders). See `wacost.counting.spark`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wacost.errors import OptionError
from wacost.estimate.core import _card_in_currency, policy_on_card, price_counts
from wacost.estimate.options import EstimateOptions
from wacost.numbers.resolver import NumberResolver
from wacost.prices.cards import PriceBook
from wacost.report.model import Estimate
from wacost.templates.definitions import TemplateBook
from wacost.templates.verdict import Classifier


def estimate_spark(
    source: Any,
    book: PriceBook,
    templates: TemplateBook,
    options: EstimateOptions,
    classifier: Classifier | None = None,
    usage_path: Path | None = None,
    name: str = "dataframe",
) -> Estimate:
    """Count `source` (a Spark DataFrame, or campaign paths) on Spark and price it as usual.

    `name` stands for a DataFrame in the report's inputs and examples.
    """
    from wacost.counting.spark import count_dataframe, count_files

    _card_in_currency(book, options, options.date)  # fail on the date or currency before reading
    policy_on_card(book, options)  # and on a policy market the card lacks
    if options.compare_date is not None:
        _card_in_currency(book, options, options.compare_date, "--compare-date")
    if options.exclude:
        raise OptionError(
            "exclude (opt-out lists) is not available with the Spark engine",
            "use the local engine, or leave the opted-out rows out of the DataFrame",
        )
    NumberResolver(book.numbering, options.default_country)  # fail on --default-country here
    if isinstance(source, Sequence) and not isinstance(source, str):
        paths = [Path(p) for p in source]
        counts = count_files(paths, book.numbering, options.default_country, options.encoding)
    else:
        counts = count_dataframe(source, book.numbering, options.default_country, name)
    return price_counts(counts, book, templates, options, classifier, usage_path)
