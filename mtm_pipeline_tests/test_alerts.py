"""Alert delivery against real loopback HTTP and SMTP servers (no mocks)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from mtm_pipeline.alerts import (
    MAX_WEBHOOK_ALERTS,
    Alert,
    alert_for_missing_sources,
    alerts_from_findings,
    deliver_alerts,
    redact,
)
from mtm_pipeline_tests.servers import closed_port_url, http_receiver, smtp_receiver

WEBHOOK_PATH = "/services/T0MTM/B0ALERTS/xoxSECRETtoken42"
WEBHOOK_QUERY = "sig=QuerySecret99"
SMTP_USER = "mtm-bot"
SMTP_PASSWORD = "pässw0rd-Very$ecret"


@dataclass(frozen=True)
class Finding:
    """Same attributes as mtm_pipeline.checks.findings.Finding (a colleague's module)."""

    rule: str
    source: str
    subject: str
    obs_ids: tuple[str, ...]
    passed: bool
    severity: str
    expected: str | None
    observed: str | None
    tolerance: str | None
    message: str


FINDINGS = [
    Finding(
        "shares_sum_to_100",
        "labour_migration",
        "sector shares 2024-Q1",
        ("LM-10", "LM-11"),
        False,
        "WARN",
        "100",
        "97.4",
        "±0.5",
        "sector shares sum to 97.4, expected 100 ± 0.5",
    ),
    Finding(
        "total_equals_parts",
        "border_crossings",
        "arrivals 2024-Q1 by country",
        ("BC-1",),
        False,
        "ERROR",
        "1 250 000",
        "1 249 000",
        "0",
        "parts sum to 1 249 000, total is 1 250 000",
    ),
    Finding(
        "value_non_negative",
        "emigration",
        "emigrants 2024",
        ("EM-3",),
        True,
        "ERROR",
        ">= 0",
        "12",
        None,
        "ok",
    ),
]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """urllib honours *_proxy variables; the loopback servers must be reached directly."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MTM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MTM_DAGSTER_URL", raising=False)


def _alerts() -> list[Alert]:
    return alerts_from_findings(
        FINDINGS, quarter="2024-Q1", stage="corrected", asset_key="corrected_observations"
    )


def _read_log(log_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (log_dir / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]


def test_alerts_from_findings_keeps_failed_only_errors_first():
    alerts = _alerts()
    assert [a.rule for a in alerts] == ["total_equals_parts", "shares_sum_to_100"]
    first = alerts[0]
    assert (first.quarter, first.stage, first.source, first.severity) == (
        "2024-Q1",
        "corrected",
        "border_crossings",
        "ERROR",
    )
    assert (first.expected, first.observed, first.tolerance) == ("1 250 000", "1 249 000", "0")
    assert first.asset_url == "http://localhost:3000/assets/corrected_observations?partition=2024-Q1"


def test_asset_url_uses_dagster_url_and_quotes(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MTM_DAGSTER_URL", "https://dagster.example.org/mtm/")
    alert = _alerts()[0]
    assert (
        alert.asset_url == "https://dagster.example.org/mtm/assets/corrected_observations?partition=2024-Q1"
    )
    odd = Alert("2024 Q1&x", "delivered", "all", "r", "WARN", "s", None, None, "m", "raw extracts")
    assert odd.asset_url == "https://dagster.example.org/mtm/assets/raw%20extracts?partition=2024%20Q1%26x"


def test_alert_for_missing_sources():
    alert = alert_for_missing_sources("2024-Q2", ["remittances", "emigration"])
    assert (alert.rule, alert.source, alert.severity, alert.quarter) == (
        "expected_sources_delivered",
        "all",
        "WARN",
        "2024-Q2",
    )
    assert "emigration, remittances" in alert.message
    assert "emigration, remittances" in alert.subject
    assert "emigration, remittances" in (alert.observed or "")


def test_alerts_are_appended_to_jsonl_log(tmp_path: Path):
    log_dir = tmp_path / "alerts"
    report = deliver_alerts(_alerts(), log_dir=log_dir, env={})
    assert report.ok and list(report.channels) == ["log"]
    deliver_alerts(_alerts()[:1], log_dir=log_dir, env={})
    records = _read_log(log_dir)
    assert len(records) == 3
    first = records[0]
    assert first["quarter"] == "2024-Q1" and first["rule"] == "total_equals_parts"
    assert first["asset_url"] == "http://localhost:3000/assets/corrected_observations?partition=2024-Q1"
    assert set(first) >= {
        "quarter",
        "stage",
        "source",
        "rule",
        "severity",
        "subject",
        "expected",
        "observed",
        "message",
        "asset_key",
        "asset_url",
        "delivered_at",
    }
    assert datetime.fromisoformat(first["delivered_at"]).utcoffset().total_seconds() == 0


def test_log_defaults_to_data_dir_alerts(tmp_path: Path):
    report = deliver_alerts(_alerts(), env={})
    assert report.channels["log"].ok
    assert len(_read_log(tmp_path / "data" / "alerts")) == 2


def test_no_alerts_sends_nothing(tmp_path: Path):
    with http_receiver() as hook:
        report = deliver_alerts([], log_dir=tmp_path, env={"MTM_ALERT_WEBHOOK_URL": hook.url + "/x"})
    assert report.channels == {} and report.ok
    assert hook.requests == []
    assert not (tmp_path / "alerts.jsonl").exists()


def test_webhook_receives_slack_json(tmp_path: Path):
    with http_receiver() as hook:
        env = {
            "MTM_ALERT_WEBHOOK_URL": f"{hook.url}{WEBHOOK_PATH}?{WEBHOOK_QUERY}",
            "MTM_DAGSTER_URL": "http://dagster.internal:3000",
        }
        report = deliver_alerts(_alerts(), log_dir=tmp_path, env=env)
    assert report.ok, report.summary()
    assert report.channels["webhook"].ok
    [request] = hook.requests
    assert request.method == "POST"
    assert request.path == f"{WEBHOOK_PATH}?{WEBHOOK_QUERY}"
    assert request.headers["Content-Type"].startswith("application/json")
    payload = request.json()
    assert "2024-Q1" in payload["text"] and "2 failed" in payload["text"]
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    assert all(b["text"]["type"] == "mrkdwn" for b in payload["blocks"] if b["type"] == "section")
    assert len(sections) == 2
    text = sections[0]
    for needle in (
        "2024-Q1",
        "border_crossings",
        "total_equals_parts",
        "arrivals 2024-Q1 by country",
        "1 250 000",
        "1 249 000",
        "<http://dagster.internal:3000/assets/corrected_observations?partition=2024-Q1|",
    ):
        assert needle in text, (needle, text)
    assert "labour_migration" in sections[1] and "97.4" in sections[1]
    # The JSONL log holds the same asset URL (from the env's MTM_DAGSTER_URL).
    assert _read_log(tmp_path)[0]["asset_url"].startswith("http://dagster.internal:3000/assets/")


def test_webhook_caps_blocks_at_40(tmp_path: Path):
    alerts = [
        Alert(
            "2024-Q1",
            "delivered",
            f"s{i}",
            "rule",
            "WARN",
            f"subject {i}",
            "1",
            "2",
            "m",
            "delivered_observations",
        )
        for i in range(MAX_WEBHOOK_ALERTS + 5)
    ]
    with http_receiver() as hook:
        deliver_alerts(alerts, log_dir=tmp_path, env={"MTM_ALERT_WEBHOOK_URL": hook.url + "/hook"})
    blocks = hook.requests[0].json()["blocks"]
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) == MAX_WEBHOOK_ALERTS + 1
    assert sections[-1]["text"]["text"].startswith("... and 5 more")
    assert len(blocks) <= 50  # Slack's limit
    assert len(_read_log(tmp_path)) == MAX_WEBHOOK_ALERTS + 5  # the log keeps every alert


def test_webhook_http_error_is_reported(tmp_path: Path):
    with http_receiver(status=500) as hook:
        report = deliver_alerts(_alerts(), log_dir=tmp_path, env={"MTM_ALERT_WEBHOOK_URL": hook.url + "/h"})
    assert not report.ok
    assert "HTTP 500" in report.channels["webhook"].error
    assert report.channels["log"].ok


def _smtp_env(smtp, **extra) -> dict[str, str]:
    return {
        "MTM_SMTP_HOST": smtp.host,
        "MTM_SMTP_PORT": str(smtp.port),
        "MTM_SMTP_USER": SMTP_USER,
        "MTM_SMTP_PASSWORD": SMTP_PASSWORD,
        "MTM_ALERT_EMAIL_FROM": "mtm@iom.example",
        "MTM_ALERT_EMAIL_TO": "analyst@iom.example, lead@iom.example",
        **extra,
    }


def test_email_is_delivered_to_smtp_server(tmp_path: Path):
    with smtp_receiver(credentials=(SMTP_USER, SMTP_PASSWORD)) as smtp:
        report = deliver_alerts(_alerts(), log_dir=tmp_path, env=_smtp_env(smtp))
    assert report.ok, report.summary()
    assert report.channels["email"].ok
    [message] = smtp.messages
    [envelope] = smtp.envelopes
    assert envelope.mail_from == "mtm@iom.example"
    assert envelope.rcpt_tos == ["analyst@iom.example", "lead@iom.example"]
    assert envelope.auth_user == SMTP_USER
    assert "2024-Q1" in message["Subject"] and "2 failed" in message["Subject"]
    assert message["To"] == "analyst@iom.example, lead@iom.example"
    body = message.get_content()
    for needle in (
        "total_equals_parts",
        "border_crossings",
        "arrivals 2024-Q1 by country",
        "1 250 000",
        "1 249 000",
        "shares_sum_to_100",
        "labour_migration",
        "97.4",
        "http://localhost:3000/assets/corrected_observations?partition=2024-Q1",
    ):
        assert needle in body, needle


def test_email_without_auth_and_starttls_unsupported(tmp_path: Path):
    with smtp_receiver() as smtp:
        env = _smtp_env(smtp)
        del env["MTM_SMTP_USER"], env["MTM_SMTP_PASSWORD"]
        assert deliver_alerts(_alerts(), log_dir=tmp_path, env=env).ok
        report = deliver_alerts(_alerts(), log_dir=tmp_path, env={**env, "MTM_SMTP_STARTTLS": "1"})
    assert len(smtp.messages) == 1 and smtp.envelopes[0].auth_user is None
    assert not report.channels["email"].ok
    assert "STARTTLS" in report.channels["email"].error


def test_dead_webhook_does_not_stop_email(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    dead = closed_port_url(WEBHOOK_PATH) + "?" + WEBHOOK_QUERY
    with smtp_receiver(credentials=(SMTP_USER, SMTP_PASSWORD)) as smtp, caplog.at_level(logging.DEBUG):
        report = deliver_alerts(_alerts(), log_dir=tmp_path, env=_smtp_env(smtp, MTM_ALERT_WEBHOOK_URL=dead))
    assert list(report.channels) == ["log", "webhook", "email"]
    assert report.channels["log"].ok
    assert report.channels["email"].ok and len(smtp.messages) == 1
    webhook = report.channels["webhook"]
    assert not webhook.ok and "refused" in webhook.error.lower(), webhook.error
    assert not report.ok and "webhook" in report.errors
    assert "webhook" in caplog.text and "FAILED" in report.summary()


def test_secrets_never_leak(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    """Failing webhook and SMTP login, and an alert text quoting the secrets: all redacted."""
    with http_receiver(status=404) as hook, smtp_receiver(credentials=(SMTP_USER, "other")) as smtp:
        webhook_url = f"{hook.url}{WEBHOOK_PATH}?{WEBHOOK_QUERY}"
        env = _smtp_env(smtp, MTM_ALERT_WEBHOOK_URL=webhook_url)
        leaky = Alert(
            "2024-Q1",
            "delivered",
            "all",
            "config",
            "WARN",
            f"hook {webhook_url}",
            WEBHOOK_PATH,
            SMTP_PASSWORD,
            f"login with {SMTP_PASSWORD} at {webhook_url}",
            "delivered_observations",
        )
        with caplog.at_level(logging.DEBUG):
            report = deliver_alerts([*_alerts(), leaky], log_dir=tmp_path, env=env)
    assert not report.channels["webhook"].ok and "HTTP 404" in report.channels["webhook"].error
    assert not report.channels["email"].ok and "535" in report.channels["email"].error
    assert smtp.auth_attempts == [(SMTP_USER, False)]
    log_text = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8")
    assert "***" in log_text
    for where in (log_text, repr(report), report.summary(), caplog.text):
        for secret in (webhook_url, WEBHOOK_PATH, WEBHOOK_QUERY, "xoxSECRETtoken42", SMTP_PASSWORD):
            assert secret not in where, (secret, where)


def test_redact():
    env = {
        "MTM_ALERT_WEBHOOK_URL": "https://hooks.slack.com/services/T01/B02/abcdefSECRET?x=QSECRET",
        "MTM_SMTP_PASSWORD": "p@ss word!",
    }
    text = (
        "POST https://hooks.slack.com/services/T01/B02/abcdefSECRET?x=QSECRET failed; "
        "path /services/T01/B02/abcdefSECRET token abcdefSECRET query x=QSECRET; "
        "password p@ss word! quoted p%40ss%20word%21"
    )
    out = redact(text, env)
    assert "https://hooks.slack.com/***" in out
    for secret in ("abcdefSECRET", "QSECRET", "p@ss word!", "p%40ss%20word%21", "/services/T01"):
        assert secret not in out, (secret, out)
    assert redact("nothing secret here: services, hooks", env) == "nothing secret here: services, hooks"
    assert redact("segments T01 B02 and value QSECRET", env) == "segments T01 B02 and value ***"
    assert redact("nothing secret here", {}) == "nothing secret here"
    assert redact("pw: hunter2", {"MTM_SMTP_PASSWORD": "", "MTM_ALERT_WEBHOOK_URL": ""}) == "pw: hunter2"
