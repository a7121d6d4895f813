"""Alerts for failed data-quality checks: a JSONL log (always), a Slack-compatible webhook and e-mail.

Pure Python + stdlib, so schedulers, sensors and the CLI can import it cheaply.

Configuration (environment, or the `env` mapping passed to `deliver_alerts`):
  MTM_DAGSTER_URL         base of asset links in alerts (default http://localhost:3000)
  MTM_ALERT_WEBHOOK_URL   POST Slack-compatible JSON here (secret: never logged)
  MTM_SMTP_HOST           send one plain-text e-mail through this SMTP server
  MTM_SMTP_PORT           default 25
  MTM_SMTP_USER, MTM_SMTP_PASSWORD   optional login (the password is secret)
  MTM_SMTP_STARTTLS       "1" to upgrade the connection with STARTTLS before logging in
  MTM_ALERT_EMAIL_FROM    sender (default mtm-pipeline@localhost)
  MTM_ALERT_EMAIL_TO      comma-separated recipients (required for e-mail)

A failing channel never stops the others and never raises into the pipeline: `deliver_alerts`
returns a `DeliveryReport` with ok/error per channel, error texts redacted with `redact`.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from mtm_pipeline.settings import data_paths

log = logging.getLogger(__name__)

DEFAULT_DAGSTER_URL = "http://localhost:3000"
ALERTS_FILE = "alerts.jsonl"
TIMEOUT_SECONDS = 10
MAX_WEBHOOK_ALERTS = 40  # Slack allows 50 blocks per message: header + 40 alerts + "... and N more"
_SECTION_LIMIT = 2900  # Slack section text limit is 3000 characters
REDACTED = "***"


def _dagster_base(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get("MTM_DAGSTER_URL") or DEFAULT_DAGSTER_URL).rstrip("/")


@dataclass(frozen=True)
class Alert:
    """One failed check of one quarter, ready to deliver."""

    quarter: str
    stage: str
    source: str
    rule: str
    severity: str  # 'ERROR' | 'WARN'
    subject: str
    expected: str | None
    observed: str | None
    message: str
    asset_key: str  # e.g. "corrected_observations"
    tolerance: str | None = None
    suggestion: str | None = None  # the top suggested correction, or why no edit explains the finding

    @property
    def asset_url(self) -> str:
        """Link to the asset partition in the Dagster UI (base from MTM_DAGSTER_URL)."""
        return self.asset_url_for(_dagster_base())

    def asset_url_for(self, base: str) -> str:
        key = urllib.parse.quote(self.asset_key, safe="/")
        partition = urllib.parse.quote(self.quarter, safe="")
        return f"{base.rstrip('/')}/assets/{key}?partition={partition}"


def alerts_from_findings(
    findings: Iterable, *, quarter: str, stage: str, asset_key: str, suggestions=None
) -> list[Alert]:
    """One Alert per failed finding (any object with Finding's attributes), ERRORs first, order kept.
    suggestions: the stage's checks.suggest.Suggestions; each alert then names the top suggestion."""
    alerts = [
        Alert(
            quarter=quarter,
            stage=stage,
            source=str(f.source),
            rule=str(f.rule),
            severity=str(f.severity),
            subject=str(f.subject),
            expected=None if f.expected is None else str(f.expected),
            observed=None if f.observed is None else str(f.observed),
            message=str(f.message),
            asset_key=asset_key,
            tolerance=None if getattr(f, "tolerance", None) is None else str(f.tolerance),
            suggestion=None
            if suggestions is None
            else suggestion_line(suggestions, str(f.rule), str(f.subject)),
        )
        for f in findings
        if not bool(f.passed)
    ]
    return sorted(alerts, key=lambda a: a.severity != "ERROR")


def suggestion_line(suggestions, rule: str, subject: str) -> str | None:
    """'Suggested correction D3 (best of 2): prp_2024q1_cis_rus value 2476 -> 2276 (typing_digit)', a set
    named as one suggestion ('Suggested correction D1 (best), a set of 2 edits made together: swap the values
    of A and B, and set T value to 1968 (published 1868) (swap + typing_digit; clears 8 findings)'), or why
    no edit explains the finding."""
    ranked = suggestions.for_finding(rule, subject)
    if ranked:
        top = ranked[0]
        of = f" of {len(ranked)}" if len(ranked) > 1 else ""
        if len(top.members) > 1:
            return (
                f"Suggested correction {top.suggestion_id} (best{of}), a set of {len(top.members)} edits "
                f"made together: {top.description} ({top.kinds}; clears {len(top.cleared)} findings)"
            )
        return f"Suggested correction {top.suggestion_id} (best{of}): {top.description} ({top.kind})"
    reason = suggestions.unexplained_reason(rule, subject)
    return f"No edit explains it: {reason}" if reason else None


def alert_for_missing_sources(
    quarter: str, missing: list[str], *, asset_key: str = "delivered_observations"
) -> Alert:
    """A WARN alert for a scheduler: expected source extracts have not arrived for `quarter`."""
    names = ", ".join(sorted(missing))
    return Alert(
        quarter=quarter,
        stage="extract",
        source="all",
        rule="expected_sources_delivered",
        severity="WARN",
        subject=f"{quarter} extracts missing: {names}" if missing else f"{quarter} extracts",
        expected="every expected source delivered",
        observed=f"missing: {names}" if missing else "none missing",
        message=f"{len(missing)} expected source extract(s) not delivered for {quarter}: {names}",
        asset_key=asset_key,
    )


# --- secrets -------------------------------------------------------------------------------------


def _secrets(env: Mapping[str, str]) -> list[str]:
    secrets: set[str] = set()
    url = env.get("MTM_ALERT_WEBHOOK_URL") or ""
    if url:
        secrets.add(url)
        parts = urllib.parse.urlsplit(url)
        for piece in (parts.path, parts.query, parts.fragment, parts.password or "", parts.username or ""):
            if len(piece) > 1:
                secrets.add(piece)
                secrets.add(urllib.parse.unquote(piece))
        if parts.query:
            secrets.add("?" + parts.query)
        # Token-like path segments and query values alone (an error may quote part of the URL, e.g. a
        # Slack token segment); plain words such as "services" or "hooks" are left readable.
        for segment in parts.path.split("/"):
            if len(segment) >= 12 or (len(segment) >= 4 and any(c.isdigit() for c in segment)):
                secrets.add(segment)
        for _, value in urllib.parse.parse_qsl(parts.query):
            if len(value) >= 4:
                secrets.add(value)
    password = env.get("MTM_SMTP_PASSWORD") or ""
    if password:
        secrets |= smtp_credential_forms(env.get("MTM_SMTP_USER") or "", password)
    return sorted((s for s in secrets if s), key=len, reverse=True)


def smtp_credential_forms(user: str, password: str) -> set[str]:
    """The SMTP password as it may appear in a server's reply or an exception: as typed, URL-quoted, as
    Python shows it in str and bytes reprs, its UTF-8 bytes read as Latin-1, and each AUTH token that
    carries it (AUTH PLAIN as smtplib and `_login` send it, AUTH LOGIN), padded or not."""
    raw = password.encode("utf-8")
    forms = {
        password,
        urllib.parse.quote(password, safe=""),
        repr(password)[1:-1],
        ascii(password)[1:-1],
        repr(raw)[2:-1],
        raw.decode("latin-1"),
    }
    for payload in (f"\0{user}\0{password}", f"{user}\0{user}\0{password}", password):
        token = base64.b64encode(payload.encode("utf-8")).decode("ascii")
        forms |= {token, token.rstrip("=")}
    return {form for form in forms if len(form) > 1}


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")


def _redact_auth_tokens(text: str, password: str) -> str:
    """Base64 runs in `text` that decode to something holding the password (an AUTH token with any
    authorisation identity) replaced by ***."""
    secret = password.encode("utf-8")

    def hide(match: re.Match) -> str:
        run = match.group(0)
        try:
            decoded = base64.b64decode(run + "=" * (-len(run) % 4), validate=True)
        except ValueError:
            return run
        return REDACTED if secret in decoded else run

    return _BASE64_RUN.sub(hide, text)


def redact(text: object, env: Mapping[str, str] | None = None) -> str:
    """`text` with the webhook URL (its path, query, credentials) and the SMTP password (in any form an
    SMTP server or an exception may show it, `smtp_credential_forms`) replaced by ***.

    The webhook's scheme and host stay visible so an error still says where delivery went.
    """
    env = os.environ if env is None else env
    out = str(text)
    url = env.get("MTM_ALERT_WEBHOOK_URL") or ""
    if url:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        out = out.replace(url, f"{parts.scheme}://{host}/{REDACTED}")
    if env.get("MTM_SMTP_PASSWORD"):
        out = _redact_auth_tokens(out, env["MTM_SMTP_PASSWORD"])
    for secret in _secrets(env):
        out = out.replace(secret, REDACTED)
    return out


# --- report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelResult:
    channel: str  # 'log' | 'webhook' | 'email'
    ok: bool
    error: str | None = None  # redacted
    detail: str | None = None  # redacted, e.g. where the alerts went


@dataclass
class DeliveryReport:
    alert_count: int
    channels: dict[str, ChannelResult] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every attempted channel succeeded."""
        return all(result.ok for result in self.channels.values())

    @property
    def errors(self) -> dict[str, str]:
        return {name: result.error or "" for name, result in self.channels.items() if not result.ok}

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        parts = [
            f"{name}: {'ok' if result.ok else 'FAILED (' + (result.error or '') + ')'}"
            for name, result in self.channels.items()
        ]
        return f"{self.alert_count} alert(s); " + ("; ".join(parts) if parts else "no channel attempted")


# --- rendering -----------------------------------------------------------------------------------


def _counts(alerts: list[Alert]) -> str:
    errors = sum(a.severity == "ERROR" for a in alerts)
    warns = len(alerts) - errors
    return f"{errors} ERROR, {warns} WARN"


def _quarters(alerts: list[Alert]) -> str:
    return ", ".join(sorted({a.quarter for a in alerts}))


def summary_line(alerts: list[Alert]) -> str:
    return (
        f"MTM data-quality alerts for {_quarters(alerts)}: {len(alerts)} failed check(s) ({_counts(alerts)})"
    )


def _mrkdwn_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _alert_mrkdwn(alert: Alert, base: str) -> str:
    e = _mrkdwn_escape
    icon = ":red_circle:" if alert.severity == "ERROR" else ":warning:"
    lines = [
        (
            f"{icon} *{e(alert.severity)}* `{e(alert.rule)}` — source *{e(alert.source)}*, "
            f"quarter *{e(alert.quarter)}* (stage {e(alert.stage)})"
        ),
        f"Subject: {e(alert.subject)}",
        f"Expected: `{e(str(alert.expected))}` · Observed: `{e(str(alert.observed))}`"
        + (f" · Tolerance: `{e(alert.tolerance)}`" if alert.tolerance else ""),
        e(alert.message),
        *([e(alert.suggestion)] if alert.suggestion else []),
    ]
    text = "\n".join(lines)
    if len(text) > _SECTION_LIMIT:
        text = text[: _SECTION_LIMIT - 1] + "…"
    return text + f"\n<{alert.asset_url_for(base)}|Open {e(alert.asset_key)} {e(alert.quarter)} in Dagster>"


def slack_payload(alerts: list[Alert], *, base: str | None = None) -> dict:
    """Slack-compatible JSON: a summary `text` and one mrkdwn section per alert (at most 40)."""
    base = _dagster_base() if base is None else base
    text = summary_line(alerts)
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": text[:150]}}]
    for alert in alerts[:MAX_WEBHOOK_ALERTS]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _alert_mrkdwn(alert, base)}})
    if len(alerts) > MAX_WEBHOOK_ALERTS:
        more = len(alerts) - MAX_WEBHOOK_ALERTS
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"... and {more} more (see {ALERTS_FILE})"},
            }
        )
    return {"text": text, "blocks": blocks}


def email_body(alerts: list[Alert], *, base: str | None = None) -> str:
    base = _dagster_base() if base is None else base
    out = [summary_line(alerts), ""]
    for i, a in enumerate(alerts, 1):
        out += [
            f"{i}. [{a.severity}] {a.rule} - source {a.source}, quarter {a.quarter}, stage {a.stage}",
            f"   Subject:  {a.subject}",
            f"   Expected: {a.expected}",
            f"   Observed: {a.observed}" + (f"   (tolerance {a.tolerance})" if a.tolerance else ""),
            f"   {a.message}",
            *([f"   {a.suggestion}"] if a.suggestion else []),
            f"   {a.asset_url_for(base)}",
            "",
        ]
    return "\n".join(out)


# --- channels ------------------------------------------------------------------------------------


def _write_log(alerts: list[Alert], log_dir: Path, env: Mapping[str, str], base: str) -> str:
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / ALERTS_FILE
    delivered_at = datetime.now(UTC).isoformat()
    lines = []
    for alert in alerts:
        record = asdict(alert)
        record["asset_url"] = alert.asset_url_for(base)
        record["delivered_at"] = delivered_at
        record = {k: (redact(v, env) if isinstance(v, str) else v) for k, v in record.items()}
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(lines))
    return f"{len(lines)} line(s) appended to {path}"


def _post_webhook(alerts: list[Alert], url: str, base: str) -> str:
    body = json.dumps(slack_payload(alerts, base=base), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
            response.read()
    except urllib.error.HTTPError as exc:
        exc.close()
        raise RuntimeError(f"webhook answered HTTP {exc.code} {exc.reason}") from None
    if not 200 <= status < 300:
        raise RuntimeError(f"webhook answered HTTP {status}")
    return f"HTTP {status}"


class SmtpLoginRefused(smtplib.SMTPException):
    """The SMTP server refused the login. Its reply is left out: a server may quote the AUTH exchange."""


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """Log in; a refusal raises SmtpLoginRefused with the reply code only, never the server's text."""
    try:
        _authenticate(smtp, user, password)
    except smtplib.SMTPResponseException as exc:
        raise SmtpLoginRefused(
            f"the SMTP server refused the login of user {user!r} (reply code {exc.smtp_code}; its text is "
            "not shown, as it may quote the credentials)"
        ) from None


def _authenticate(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """smtp.login, except that non-ASCII credentials (which smtplib cannot encode) go as UTF-8 AUTH PLAIN."""
    if (user + password).isascii():
        smtp.login(user, password)
        return
    if "plain" not in smtp.esmtp_features.get("auth", "").lower().split():
        raise smtplib.SMTPException(
            "non-ASCII SMTP credentials need AUTH PLAIN, which the server does not offer"
        )
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, response = smtp.docmd("AUTH", "PLAIN " + token)
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, response)


def _send_email(alerts: list[Alert], env: Mapping[str, str], base: str) -> str:
    host = env["MTM_SMTP_HOST"]
    port = int(env.get("MTM_SMTP_PORT") or 25)
    recipients = [r.strip() for r in (env.get("MTM_ALERT_EMAIL_TO") or "").split(",") if r.strip()]
    if not recipients:
        raise ValueError("MTM_ALERT_EMAIL_TO is not set: no recipients for the alert e-mail")
    sender = env.get("MTM_ALERT_EMAIL_FROM") or "mtm-pipeline@localhost"

    msg = EmailMessage()
    msg["Subject"] = f"[MTM] {summary_line(alerts)}"
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain="mtm-pipeline")
    # quoted-printable keeps the message 7-bit clean for any server (Cyrillic/Kazakh text is fine).
    msg.set_content(email_body(alerts, base=base), charset="utf-8", cte="quoted-printable")

    with smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS) as smtp:
        smtp.set_debuglevel(0)  # off: smtplib's debug output would print the AUTH exchange to stderr
        smtp.ehlo()
        if env.get("MTM_SMTP_STARTTLS") == "1":
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        user = env.get("MTM_SMTP_USER")
        if user:
            _login(smtp, user, env.get("MTM_SMTP_PASSWORD") or "")
        refused = smtp.send_message(msg, from_addr=sender, to_addrs=recipients)
    if refused:
        raise RuntimeError(f"recipients refused: {', '.join(sorted(refused))}")
    return f"sent to {len(recipients)} recipient(s) via {host}:{port}"


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError):
        return f"{type(exc).__name__}: {exc.reason}"
    return f"{type(exc).__name__}: {exc}"


def deliver_alerts(
    alerts: list[Alert], *, log_dir: Path | None = None, env: Mapping[str, str] | None = None
) -> DeliveryReport:
    """Deliver `alerts` on every configured channel; never raises. Nothing is sent for an empty list."""
    env = dict(os.environ if env is None else env)
    alerts = list(alerts)
    report = DeliveryReport(alert_count=len(alerts))
    if not alerts:
        return report
    base = _dagster_base(env)

    def attempt(channel: str, send) -> None:
        try:
            detail = send()
        except Exception as exc:  # noqa: BLE001 - a failing channel must not stop the others
            error = redact(_error_text(exc), env)
            log.warning("alert channel %s failed: %s", channel, error)
            report.channels[channel] = ChannelResult(channel, ok=False, error=error)
        else:
            report.channels[channel] = ChannelResult(channel, ok=True, detail=redact(detail, env))

    target = Path(log_dir) if log_dir is not None else None
    attempt("log", lambda: _write_log(alerts, target or data_paths().alerts, env, base))
    if env.get("MTM_ALERT_WEBHOOK_URL"):
        attempt("webhook", lambda: _post_webhook(alerts, env["MTM_ALERT_WEBHOOK_URL"], base))
    if env.get("MTM_SMTP_HOST"):
        attempt("email", lambda: _send_email(alerts, env, base))
    log.info("alerts delivered: %s", report.summary())
    return report
