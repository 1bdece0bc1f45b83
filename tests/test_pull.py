"""`wacost pull` against a fake Graph API on 127.0.0.1 (offline): paging, rate limits, an expired
token, malformed answers, timeouts; the files it writes are read by estimate and reconcile."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import write

TOKEN = "EAAG-secret-token-do-not-print-42"
WABA = "1029384756"


class FakeGraph:
    """Answers GETs from a script: path -> list of (status, body, headers, delay); the last repeats."""

    def __init__(self) -> None:
        self.script: dict[str, list[tuple[int, Any, dict[str, str], float]]] = {}
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                fake.requests.append(
                    {
                        "path": parts.path,
                        "query": parse_qs(parts.query),
                        "authorization": self.headers.get("Authorization"),
                    }
                )
                answers = fake.script.get(parts.path) or [(404, {"error": {"code": 803}}, {}, 0)]
                status, body, headers, delay = answers.pop(0) if len(answers) > 1 else answers[0]
                if delay:
                    time.sleep(delay)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, *answers: Any) -> None:
        self.script[path] = [a if isinstance(a, tuple) else (200, a, {}, 0) for a in answers]


@pytest.fixture
def graph(monkeypatch) -> Iterator[FakeGraph]:
    fake = FakeGraph()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("WACOST_GRAPH_URL", fake.url)
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


FAST = ("--max-wait", "0.01")


def template(name: str, category: str) -> dict[str, Any]:
    return {
        "name": name,
        "language": "en_US",
        "status": "APPROVED",
        "category": category,
        "id": str(abs(hash(name)) % 10**15),
        "components": [{"type": "BODY", "text": f"Hello from {name}"}],
    }


def test_templates_follow_every_page_without_the_token_in_the_url(wacost, graph, tmp_path):
    edge = f"/v26.0/{WABA}/message_templates"
    graph.answer(
        edge,
        {
            "data": [template("spring_sale", "MARKETING"), template("order_shipped", "UTILITY")],
            # Meta's next links carry the token: wacost must not send it in a URL
            "paging": {
                "cursors": {"before": "b1", "after": "a1"},
                "next": f"{graph.url}{edge}?access_token={TOKEN}&limit=100&after=a1",
            },
        },
        {"data": [template("login_code", "AUTHENTICATION")], "paging": {"cursors": {}}},
    )
    out = tmp_path / "templates.json"
    run = wacost("pull", "templates", "--waba-id", WABA, "-o", out, *FAST)
    assert run.exit_code == 0, run.stderr
    saved = json.loads(out.read_text())
    assert [t["name"] for t in saved["data"]] == ["spring_sale", "order_shipped", "login_code"]
    assert saved["wacost"]["waba_id"] == WABA and saved["wacost"]["api_version"] == "v26.0"
    assert len(graph.requests) == 2
    assert graph.requests[1]["query"]["after"] == ["a1"]
    assert all(r["authorization"] == f"Bearer {TOKEN}" for r in graph.requests)
    assert all("access_token" not in r["query"] for r in graph.requests)
    assert TOKEN not in out.read_text() and TOKEN not in run.stdout + run.stderr
    # estimate reads the pulled file as --templates
    campaign = write(tmp_path / "c.csv", "country,template,count\nIN,order_shipped,10\n")
    estimate = wacost("estimate", campaign, "--templates", out, "--date", "2026-11-16", "-q")
    assert estimate.exit_code == 0, estimate.stderr
    assert estimate.stdout.strip() == "0.0140 USD"  # 10 utility x 0.0014


def test_a_next_link_to_another_host_gets_no_token(wacost, graph, tmp_path):
    """A page's `paging.next` on another host than the graph URL was followed there with the
    token in its Authorization header; it is asked of the graph URL (a proxy included)."""
    other = FakeGraph()
    thread = threading.Thread(target=other.server.serve_forever, daemon=True)
    thread.start()
    edge = f"/v26.0/{WABA}/message_templates"
    try:
        graph.answer(
            edge,
            {
                "data": [template("spring_sale", "MARKETING")],
                "paging": {"next": f"{other.url}{edge}?limit=100&after=a1"},
            },
            {"data": [template("login_code", "AUTHENTICATION")]},
        )
        out = tmp_path / "templates.json"
        run = wacost("pull", "templates", "--waba-id", WABA, "-o", out, *FAST)
    finally:
        other.server.shutdown()
        other.server.server_close()
    assert other.requests == []
    assert run.exit_code == 0, run.stderr
    assert [t["name"] for t in json.loads(out.read_text())["data"]] == [
        "spring_sale",
        "login_code",
    ]
    assert graph.requests[1]["path"] == edge and graph.requests[1]["query"]["after"] == ["a1"]


@pytest.mark.parametrize("code", [4, 80007, 130429])
def test_a_rate_limit_is_retried_with_backoff(wacost, graph, tmp_path, code):
    edge = f"/v26.0/{WABA}/message_templates"
    limited = (400, {"error": {"message": "Rate limit hit", "code": code}}, {}, 0)
    graph.answer(edge, limited, limited, {"data": [template("spring_sale", "MARKETING")]})
    out = tmp_path / "t.json"
    run = wacost("pull", "templates", "--waba-id", WABA, "-o", out, *FAST)
    assert run.exit_code == 0, run.stderr
    assert len(graph.requests) == 3
    assert [t["name"] for t in json.loads(out.read_text())["data"]] == ["spring_sale"]


def test_a_rate_limit_that_lasts_is_one_line_and_exit_2(wacost, graph, tmp_path):
    graph.answer(
        f"/v26.0/{WABA}/message_templates",
        (429, {"error": {"message": "Too many calls", "code": 80007}}, {"Retry-After": "0"}, 0),
    )
    out = tmp_path / "t.json"
    run = wacost("pull", "templates", "--waba-id", WABA, "-o", out, "--retries", "2", *FAST)
    assert run.exit_code == 2
    assert run.stderr.count("\n") == 1 and "rate limited (code 80007) after 3 tries" in run.stderr
    assert len(graph.requests) == 3 and not out.exists()


def test_an_expired_token_is_one_line_without_the_token(wacost, graph, tmp_path):
    graph.answer(
        f"/v26.0/{WABA}/message_templates",
        (
            401,
            {
                "error": {
                    "message": f"Error validating access token: Session has expired ({TOKEN})",
                    "type": "OAuthException",
                    "code": 190,
                    "error_subcode": 463,
                }
            },
            {},
            0,
        ),
    )
    out = tmp_path / "t.json"
    run = wacost("pull", "templates", "--waba-id", WABA, "-o", out, *FAST)
    assert run.exit_code == 2
    assert run.stderr.count("\n") == 1
    assert "code 190" in run.stderr and "WHATSAPP_ACCESS_TOKEN" in run.stderr
    assert TOKEN not in run.stderr and "Traceback" not in run.stderr
    assert len(graph.requests) == 1 and not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temp file left


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ((200, b"<html>Service Unavailable</html>", {}, 0), "not a JSON object"),
        ((200, b"[1, 2]", {}, 0), "not a JSON object"),
        # nested past Python's recursion limit: was 'internal error: RecursionError'
        ((200, b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", {}, 0), "not a JSON object"),
        ((200, {"data": "nope"}, {}, 0), "no data list"),
        ((403, b"Forbidden", {}, 0), "HTTP 403"),
        ((400, {"error": {"message": "Unsupported get request", "code": 100}}, {}, 0), "error 100"),
    ],
)
def test_malformed_answers_and_http_errors(wacost, graph, tmp_path, answer, expected):
    graph.answer(f"/v26.0/{WABA}/message_templates", answer)
    run = wacost("pull", "templates", "--waba-id", WABA, "-o", tmp_path / "t.json", *FAST)
    assert run.exit_code == 2
    assert run.stderr.count("\n") == 1 and expected in run.stderr


def test_a_timeout_is_retried_then_one_line(wacost, graph, tmp_path):
    graph.answer(f"/v26.0/{WABA}/message_templates", (200, {"data": []}, {}, 1.0))
    run = wacost(
        "pull", "templates", "--waba-id", WABA, "--timeout", "0.2", "--retries", "1", *FAST
    )
    assert run.exit_code == 2
    assert "no answer" in run.stderr and "2 tries" in run.stderr


def test_missing_token_and_bad_options(wacost, graph, monkeypatch):
    run = wacost("pull", "templates", "--waba-id", "12ab")
    assert run.exit_code == 2 and "WABA id" in run.stderr
    run = wacost("pull", "templates", "--waba-id", WABA, "--api-version", "latest")
    assert run.exit_code == 2 and "API version" in run.stderr
    run = wacost(
        "pull", "analytics", "--waba-id", WABA, "--start", "2026-11-30", "--end", "2026-11-01"
    )
    assert run.exit_code == 2 and "before the start" in run.stderr
    monkeypatch.delenv("WHATSAPP_ACCESS_TOKEN")
    run = wacost("pull", "templates", "--waba-id", WABA)
    assert run.exit_code == 2 and "WHATSAPP_ACCESS_TOKEN is not set" in run.stderr
    assert graph.requests == []


def test_analytics_pages_then_reconcile(wacost, graph, tmp_path):
    node = f"/v26.0/{WABA}"
    day = 1794787200  # 2026-11-16 00:00 UTC

    def points(*rows: tuple[str, str, int, float]) -> list[dict[str, Any]]:
        return [
            {
                "start": day,
                "end": day + 86400,
                "country": country,
                "pricing_category": category,
                "pricing_type": "REGULAR",
                "volume": volume,
                "cost": cost,
            }
            for country, category, volume, cost in rows
        ]

    graph.answer(
        node,
        {
            "currency": "USD",
            "pricing_analytics": {
                "data": [{"data_points": points(("IN", "MARKETING", 900, 10.62))}],
                "paging": {
                    "next": f"{graph.url}{node}/pricing_analytics?after=p2&access_token={TOKEN}"
                },
            },
            "id": WABA,
        },
    )
    graph.answer(
        f"{node}/pricing_analytics",
        {"data": [{"data_points": points(("IN", "UTILITY", 2000, 2.8))}], "paging": {}},
    )
    out = tmp_path / "bill.json"
    args = ("--waba-id", WABA, "--start", "2026-11-16", "--end", "2026-11-16", "-o", out)
    run = wacost("pull", "analytics", *args, *FAST)
    assert run.exit_code == 0, run.stderr
    fields = graph.requests[0]["query"]["fields"][0]
    assert fields.startswith("currency,pricing_analytics.start(1794787200).end(1794873600)")
    assert '.dimensions(["COUNTRY","PRICING_CATEGORY","PRICING_TYPE","TIER"])' in fields
    assert graph.requests[1]["query"]["after"] == ["p2"]
    saved = json.loads(out.read_text())
    assert saved["currency"] == "USD" and len(saved["pricing_analytics"]["data"]) == 2
    assert TOKEN not in out.read_text()
    # reconcile reads it: 900 x 0.0118 + 2,000 x 0.0014 = 10.6200 + 2.8000 against 11.8000 + 2.8000
    campaign = write(
        tmp_path / "c.csv", "country,template,count\nIN,spring_sale,1000\nIN,order_shipped,2000\n"
    )
    templates = Path(__file__).resolve().parents[1] / "samples" / "templates.json"
    estimate = tmp_path / "est.json"
    made = wacost(
        "estimate", campaign, "--templates", templates, "--date", "2026-11-16",
        "--format", "json", "-o", estimate,
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    # estimate --usage reads it too (month-to-date charged volumes for volume tiers)
    usage = wacost("estimate", campaign, "--templates", templates, "--date", "2026-11-20",
                   "--usage", out, "-q")  # fmt: skip
    assert usage.exit_code == 0, usage.stderr
    report = wacost("reconcile", estimate, out, "--format", "json")
    assert report.exit_code == 0, report.stderr
    assert report.json()["totals"]["difference"] == "-1.1800"
    assert report.json()["delivery_rates"] == [{"market": "India", "rate": "0.9667"}]


def _pull_beside_spring_sale(wacost, graph, entry, out):
    """`wacost pull templates` of a WABA holding spring_sale and `entry`, written to `out`."""
    graph.answer(
        f"/v26.0/{WABA}/message_templates",
        {"data": [template("spring_sale", "MARKETING"), entry], "paging": {}},
    )
    return wacost("pull", "templates", "--waba-id", WABA, "-o", out, *FAST)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"language": "en_US", "category": "MARKETING"}, "data[1]: template has no name"),
        ({**template("x", "MARKETING"), "name": 42}, "data[1].name: 42 is not a template name"),
        (template("promo_x", "PROMOTIONAL"), "data[1] ('promo_x').category: 'PROMOTIONAL' is not"),
        (template("svc", "SERVICE"), "data[1] ('svc').category: 'SERVICE' is not a template"),
        ({**template("n", "UTILITY"), "category": 7}, "data[1] ('n').category: 7 is not a"),
        ({**template("o", "UTILITY"), "category": {"v": 1}}, "('o').category: an object is not"),
        ({**template("l", "UTILITY"), "language": 5}, "data[1] ('l').language: 5 is not a"),
        ({**template("c", "UTILITY"), "components": "x"}, "('c').components: must be a list"),
        ("spring_sale", "data[1]: a template must be an object"),
        (template("spring_sale", "UTILITY"), "define template 'spring_sale' (en_US), as MARKETING"),
    ],
    ids=[
        "no-name",
        "name-number",
        "unknown-category",
        "service",
        "category-number",
        "category-object",
        "language-number",
        "components",
        "not-object",
        "two-categories",
    ],
)
def test_a_template_entry_estimate_would_refuse_is_refused_by_pull(
    wacost, graph, tmp_path, entry, expected
):
    """pull wrote whatever the API sent (exit 0); estimate --templates then refused the file,
    or read it. It is refused now, naming the template and key, and nothing is written."""
    out = tmp_path / "t.json"
    run = _pull_beside_spring_sale(wacost, graph, entry, out)
    assert run.exit_code == 2, run.stderr
    assert run.stderr.count("\n") == 1 and expected in run.stderr, run.stderr
    assert "Graph API message_templates: data[" in run.stderr
    assert "Traceback" not in run.stderr and not out.exists()


def test_templates_without_a_category_are_counted_by_pull_and_estimate(wacost, graph, tmp_path):
    """Meta gives every template a category; one without is written, said on stderr, and
    classified by estimate with a warning (never priced silently)."""
    bare = {k: v for k, v in template("order_shipped", "UTILITY").items() if k != "category"}
    out = tmp_path / "t.json"
    run = _pull_beside_spring_sale(wacost, graph, bare, out)
    assert run.exit_code == 0, run.stderr
    assert "1 of 2 templates have no category (the first: 'order_shipped')" in run.stderr
    campaign = write(tmp_path / "c.csv", "country,template,count\nIN,order_shipped,10\n")
    estimate = wacost(
        "estimate", campaign, "--templates", out, "--date", "2026-11-16", "--format", "json"
    )
    assert estimate.exit_code == 0, estimate.stderr
    codes = {w["code"] for w in json.loads(estimate.stdout)["warnings"]}
    assert "classified_template" in codes, codes
