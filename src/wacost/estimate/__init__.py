"""The estimate: counts priced under the rules in force on the send date (the library's entry point).

`estimate_campaign` reads, counts and prices a campaign; `price_counts` prices counts already
reduced. Billing rules live in `estimate.billing`, the breakdowns in `estimate.summaries`.
"""

from wacost.estimate.core import estimate_campaign, price_counts
from wacost.estimate.options import EstimateOptions
from wacost.report.model import SCHEMA

__all__ = ["SCHEMA", "EstimateOptions", "estimate_campaign", "price_counts"]
