"""Pull from Meta's Graph API: message templates and pricing analytics of a WhatsApp Business Account.

The access token travels in the Authorization header only, never in a URL (Meta's `paging.next`
links carry it as a query parameter: it is stripped before following them), and it is removed
from every error message. Rate limits (Meta's error codes 4, 80007, 130429), server errors and
timeouts are retried with exponential backoff; every other failure is one GraphError.

What comes back is written in the shape of Meta's own responses, so `estimate --templates`,
`estimate --usage` and `reconcile` read it like a response saved by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from wacost.errors import WacostError

# Graph API v26.0 was released 2026-07-29 (developers.facebook.com/docs/graph-api/changelog).
DEFAULT_API_VERSION = "v26.0"
DEFAULT_GRAPH_URL = "https://graph.facebook.com"
TOKEN_ENV = "WHATSAPP_ACCESS_TOKEN"
GRAPH_URL_ENV = "WACOST_GRAPH_URL"
RATE_LIMIT_CODES = frozenset({4, 80007, 130429})
EXPIRED_TOKEN_CODE = 190
TEMPLATE_FIELDS = "id,name,language,status,category,previous_category,components"
ANALYTICS_DIMENSIONS = ("COUNTRY", "PRICING_CATEGORY", "PRICING_TYPE", "TIER")
GRANULARITIES = ("HALF_HOUR", "DAILY", "MONTHLY")
MAX_PAGES = 10_000


class GraphError(WacostError):
    """The Graph API could not be reached, refused the request, or answered something unusable."""


@dataclass(frozen=True)
class GraphClient:
    """A small Graph API reader: GET with retries, and paging through `paging.next`."""

    token: str
    graph_url: str = DEFAULT_GRAPH_URL
    api_version: str = DEFAULT_API_VERSION
    retries: int = 5  # tries after the first, on rate limits, server errors and timeouts
    first_wait: float = 1.0  # seconds; doubled after each try
    max_wait: float = 60.0  # the longest single wait
    timeout: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    transport: httpx.BaseTransport | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.token.strip():
            raise GraphError(f"{TOKEN_ENV} is empty", "set it to a system-user access token")
        parts = urlsplit(self.graph_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise GraphError(
                f"graph URL {self.graph_url!r} is not an http(s) URL",
                f"leave it unset (default {DEFAULT_GRAPH_URL})",
            )
        if (
            not self.api_version.startswith("v")
            or not self.api_version[1:].replace(".", "").isdigit()
        ):
            raise GraphError(
                f"API version {self.api_version!r} is not like v26.0",
                f"write e.g. {DEFAULT_API_VERSION}",
            )

    def url(self, path: str) -> str:
        return f"{self.graph_url.rstrip('/')}/{self.api_version}/{path.lstrip('/')}"

    def redact(self, text: str) -> str:
        """`text` without the access token in it."""
        return text.replace(self.token, "<token>") if self.token else text

    def get(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """One GET, retried on rate limits, server errors and timeouts; the decoded JSON object."""
        with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
            return self._get(client, url, params)

    def _get(self, client: httpx.Client, url: str, params: dict[str, str] | None) -> dict[str, Any]:
        host = urlsplit(url).netloc
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        wait = self.first_wait
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = client.get(url, params=params, headers=headers)
            except httpx.TimeoutException:
                if last:
                    raise GraphError(
                        f"Graph API: no answer from {host} within {self.timeout:g} s "
                        f"({attempt + 1} tries)",
                        "try again later, or raise --timeout",
                    ) from None
                wait = self._pause(wait, None)
                continue
            except httpx.HTTPError as exc:
                raise GraphError(
                    f"Graph API: cannot reach {host} ({self.redact(type(exc).__name__)}: "
                    f"{self.redact(str(exc))[:200]})",
                    "check the network and the graph URL",
                ) from None
            body, error = self._decode(response)
            code = error.get("code") if error else None
            if code in RATE_LIMIT_CODES or response.status_code == 429:
                if last:
                    raise GraphError(
                        f"Graph API: rate limited (code {code or 429}) after {attempt + 1} tries",
                        "wait a few minutes and run it again",
                    )
                wait = self._pause(wait, response.headers.get("Retry-After"))
                continue
            if response.status_code >= 500 and not last and not error:
                wait = self._pause(wait, response.headers.get("Retry-After"))
                continue
            if error:
                raise self._error(response.status_code, error)
            if response.status_code >= 400:
                raise GraphError(
                    f"Graph API: HTTP {response.status_code} from {host}",
                    "check the WABA id, the API version and the token's permissions",
                )
            if body is None:
                raise GraphError(
                    f"Graph API: the answer from {host} is not a JSON object "
                    f"(HTTP {response.status_code}, {response.headers.get('content-type', 'no type')})",
                    "check the graph URL; try again later",
                )
            return body
        raise AssertionError("unreachable")  # pragma: no cover

    def _pause(self, wait: float, retry_after: str | None) -> float:
        delay = wait
        if retry_after and retry_after.strip().isdigit():
            delay = float(retry_after.strip())
        self.sleep(min(delay, self.max_wait))
        return min(wait * 2, self.max_wait)

    @staticmethod
    def _decode(response: httpx.Response) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The JSON object of the answer (None when it is not one) and its `error`, if any."""
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError, RecursionError):  # nested past the stack too
            return None, None
        if not isinstance(body, dict):
            return None, None
        error = body.get("error")
        if isinstance(error, dict):
            return body, error
        return body, None

    def _error(self, status: int, error: dict[str, Any]) -> GraphError:
        code = error.get("code")
        message = self.redact(str(error.get("message") or "no message"))[:300]
        if code == EXPIRED_TOKEN_CODE:
            return GraphError(
                f"Graph API: the access token is expired or invalid (code 190: {message})",
                f"create a new token and set {TOKEN_ENV}",
            )
        return GraphError(
            f"Graph API: error {code} (HTTP {status}): {message}",
            "check the WABA id, the API version and the token's permissions",
        )

    def pages(
        self, path: str, params: dict[str, str], pick: Callable[[dict[str, Any]], Any]
    ) -> list[Any]:
        """Everything `pick` finds on every page, following `paging.next` to the end.

        `pick(page)` returns that page's list and its `paging` object.
        """
        items: list[Any] = []
        url: str | None = self.url(path)
        query: dict[str, str] | None = params
        seen: set[str] = set()
        with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
            for _ in range(MAX_PAGES):
                assert url is not None
                page = self._get(client, url, query)
                found, paging = pick(page)
                if not isinstance(found, list):
                    raise GraphError(
                        "Graph API: a page has no data list", "check the WABA id and the edge"
                    )
                items.extend(found)
                url = _next_link(paging, self.graph_url)
                if url is None:
                    return items
                if url in seen:
                    raise GraphError("Graph API: paging goes round in a circle", "try again")
                seen.add(url)
                query = None
        raise GraphError(f"Graph API: more than {MAX_PAGES} pages", "ask for a shorter period")


def _next_link(paging: object, graph_url: str) -> str | None:
    """`paging.next` without the access token Meta puts in it (it goes in the header), asked
    of `graph_url`: a link to another host (Meta's own, behind a proxy; or any other) never
    gets the token."""
    if not isinstance(paging, dict):
        return None
    link = paging.get("next")
    if not isinstance(link, str) or not link:
        return None
    parts = urlsplit(link)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"
    ]
    base = urlsplit(graph_url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        path = base.path.rstrip("/") + "/" + parts.path.lstrip("/")
        parts = parts._replace(scheme=base.scheme, netloc=base.netloc, path=path)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _stamp(client: GraphClient, waba_id: str, **extra: object) -> dict[str, Any]:
    return {
        "waba_id": waba_id,
        "api_version": client.api_version,
        "pulled_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        **extra,
    }


def check_waba_id(waba_id: str) -> str:
    text = waba_id.strip()
    if not text.isdigit():
        raise GraphError(
            f"WABA id {waba_id[:40]!r} is not a number",
            "copy the WhatsApp Business Account id from Meta's WhatsApp Manager",
        )
    return text


def pull_templates(client: GraphClient, waba_id: str) -> dict[str, Any]:
    """Every message template of the account, all pages, as `{"data": [...]}`."""
    waba = check_waba_id(waba_id)
    templates = client.pages(
        f"{waba}/message_templates",
        {"fields": TEMPLATE_FIELDS, "limit": "100"},
        lambda page: (page.get("data"), page.get("paging")),
    )
    # what estimate --templates would refuse (no name, an unknown category, a wrong type) is
    # refused now, naming the template and key, and nothing is written
    from wacost.templates.definitions import parse_templates

    parse_templates(templates, "Graph API message_templates")
    return {"data": templates, "wacost": _stamp(client, waba)}


def day_bounds(start: dt.date, end: dt.date) -> tuple[int, int]:
    """Unix times of `start` 00:00 UTC and of the day after `end` (the end day is included)."""
    if end < start:
        raise GraphError(f"the end {end} is before the start {start}", "swap them")
    first = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC)
    after = dt.datetime(end.year, end.month, end.day, tzinfo=dt.UTC) + dt.timedelta(days=1)
    return int(first.timestamp()), int(after.timestamp())


def pull_analytics(
    client: GraphClient,
    waba_id: str,
    start: dt.date,
    end: dt.date,
    granularity: str = "DAILY",
) -> dict[str, Any]:
    """pricing_analytics by country, pricing category, pricing type and tier, all pages,
    in Meta's field shape `{"pricing_analytics": {"data": [...]}, "id": ..., "currency": ...}`."""
    waba = check_waba_id(waba_id)
    if granularity not in GRANULARITIES:
        raise GraphError(
            f"granularity {granularity!r} is not one of {', '.join(GRANULARITIES)}", "use DAILY"
        )
    first, after = day_bounds(start, end)
    dimensions = ",".join(f'"{d}"' for d in ANALYTICS_DIMENSIONS)
    expansion = (
        f"pricing_analytics.start({first}).end({after}).granularity({granularity})"
        f'.metric_types(["COST","VOLUME"]).dimensions([{dimensions}])'
    )
    found: dict[str, Any] = {}

    def pick(page: dict[str, Any]) -> tuple[Any, Any]:
        if "currency" in page:
            found["currency"] = page["currency"]
        if "pricing_analytics" not in page and "data" in page:  # a `paging.next` page of the field
            return page.get("data"), page.get("paging")
        block = page.get("pricing_analytics")
        if block is None:  # no data in the period: Meta leaves the field out
            return [], None
        if not isinstance(block, dict):
            return None, None
        return block.get("data"), block.get("paging")

    blocks = client.pages(waba, {"fields": f"currency,{expansion}"}, pick)
    result: dict[str, Any] = {"pricing_analytics": {"data": blocks}, "id": waba}
    if isinstance(found.get("currency"), str):
        result["currency"] = found["currency"]
    result["wacost"] = _stamp(
        client, waba, start=start.isoformat(), end=end.isoformat(), granularity=granularity
    )
    return result


def to_json(response: dict[str, Any]) -> str:
    """A pulled response as JSON text. Amounts stay JSON numbers as Meta sent them: a number
    of up to 15 significant digits survives the round trip through a float unchanged."""
    return json.dumps(response, indent=2, ensure_ascii=False) + "\n"
