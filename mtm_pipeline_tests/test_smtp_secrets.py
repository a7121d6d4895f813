"""The SMTP login never reaches a log, the alerts file, the delivery report (which the quality assets write
to Dagster's event log) or the process output, whatever the server echoes: a real SMTP server on the
loopback that quotes the AUTH line and the credentials it decoded, in its refusal of the login and in its
refusal of the mail after a login; an ASCII and a non-ASCII (Kazakh, Cyrillic) password."""

from __future__ import annotations

import base64
import logging
import re
from pathlib import Path

import pytest

from mtm_pipeline.alerts import Alert, deliver_alerts, redact, smtp_credential_forms
from mtm_pipeline_tests.servers import smtp_receiver

USER = "mtm-bot"
PASSWORDS = ["Құпия-сөз-Ёж$42", "plain-Ascii$ecret7"]


def _alert() -> Alert:
    return Alert(
        "2024-Q1", "delivered", "remittances", "totals", "ERROR", "s", "1", "2", "totals differ", "delivered"
    )


def _env(smtp, password: str) -> dict[str, str]:
    return {
        "MTM_SMTP_HOST": smtp.host,
        "MTM_SMTP_PORT": str(smtp.port),
        "MTM_SMTP_USER": USER,
        "MTM_SMTP_PASSWORD": password,
        "MTM_ALERT_EMAIL_TO": "ops@example.org",
    }


def _leaks(text: str, password: str) -> list[str]:
    """Every form of the password found in `text`, and any base64 run that decodes to hold it."""
    found = [form for form in smtp_credential_forms(USER, password) if form in text]
    for run in re.findall(r"[A-Za-z0-9+/]{8,}={0,2}", text):
        try:
            decoded = base64.b64decode(run + "=" * (-len(run) % 4))
        except ValueError:
            continue
        if password.encode("utf-8") in decoded:
            found.append(run)
    return found


def _deliver(tmp_path, smtp, password, caplog):
    with caplog.at_level(logging.DEBUG):
        return deliver_alerts([_alert()], log_dir=tmp_path, env=_env(smtp, password))


@pytest.mark.parametrize("password", PASSWORDS)
def test_a_refused_login_echoed_by_the_server_is_not_shown(tmp_path: Path, caplog, capfd, password):
    with smtp_receiver(credentials=(USER, "another password"), echo_auth=True) as smtp:
        report = _deliver(tmp_path, smtp, password, caplog)
    assert smtp.auth_attempts == [(USER, False)]  # the server did receive (and echo) the login
    error = report.channels["email"].error
    assert "refused the login of user 'mtm-bot' (reply code 535" in error
    out, err = capfd.readouterr()
    alerts_file = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8")
    for where in (error, report.summary(), repr(report), caplog.text, alerts_file, out, err):
        assert _leaks(where, password) == [], where


@pytest.mark.parametrize("password", PASSWORDS)
def test_a_later_refusal_quoting_the_login_is_redacted(tmp_path: Path, caplog, capfd, password):
    with smtp_receiver(credentials=(USER, password), echo_auth=True) as smtp:
        report = _deliver(tmp_path, smtp, password, caplog)
    assert smtp.auth_attempts == [(USER, True)] and smtp.messages == []
    error = report.channels["email"].error
    assert "SMTPSenderRefused" in error and "550" in error and "***" in error, error
    out, err = capfd.readouterr()
    for where in (error, report.summary(), repr(report), caplog.text, out, err):
        assert _leaks(where, password) == [], where


def test_the_checker_itself_finds_each_form():
    password = PASSWORDS[0]
    token = base64.b64encode(f"\0{USER}\0{password}".encode()).decode()
    leaky = f"535 AUTH PLAIN {token} ({password.encode()!r}) {password.encode().decode('latin-1')}"
    assert len(_leaks(leaky, password)) >= 3
    assert _leaks(redact(leaky, {"MTM_SMTP_PASSWORD": password, "MTM_SMTP_USER": USER}), password) == []
    # an AUTH token with another authorisation identity is found by decoding it
    other = base64.b64encode(f"admin\0{USER}\0{password}".encode()).decode()
    assert redact(f"echo {other}", {"MTM_SMTP_PASSWORD": password}) == "echo ***"
