"""A quarter whose checks fail sends its alerts, from inside the run, to a real webhook and SMTP server."""

from __future__ import annotations

import dagster as dg

from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline_tests.helpers import materialize_quarters
from mtm_pipeline_tests.servers import http_receiver, smtp_receiver


def test_failing_checks_of_a_quarter_reach_the_webhook_and_the_mailbox(data_dir, tmp_path, monkeypatch):
    with http_receiver() as hook, smtp_receiver() as smtp:
        webhook_url = f"{hook.url}/services/T000/B000/s3cr3t-token"
        monkeypatch.setenv("MTM_ALERT_WEBHOOK_URL", webhook_url)
        monkeypatch.setenv("MTM_SMTP_HOST", smtp.host)
        monkeypatch.setenv("MTM_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("MTM_ALERT_EMAIL_TO", "analysts@example.org")
        warehouse = WarehouseResource(path=str(tmp_path / "mtm.duckdb"))
        with dg.instance_for_test() as instance:
            result = materialize_quarters(warehouse, ["2024-Q1"], instance)["2024-Q1"]
            assert result.success  # inconsistencies warn; they do not stop the quarter
            logs = "\n".join(str(e.message) for e in instance.all_logs(result.run_id))
        posts = [r.json() for r in hook.requests]
        mails = list(smtp.messages)

    # one POST per stage with failures: delivered (20 findings) and corrected (6 left after corrections)
    assert len(posts) == 2
    text = "\n".join(str(p) for p in posts)
    for expected in (
        "2024-Q1",
        "remittances",
        "stated_change_matches",
        "rem_in_2023_total",
        "-51.8",
        "/assets/corrected_observations",
    ):
        assert expected in text, expected
    assert len(mails) == 2 and "stated_change_matches" in mails[-1].get_payload()
    assert "s3cr3t-token" not in logs
    alerts_log = (data_dir / "alerts" / "alerts.jsonl").read_text(encoding="utf-8")
    assert alerts_log.count("\n") == 26 and "s3cr3t-token" not in alerts_log
