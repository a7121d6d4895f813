"""Consistency rules as Dagster asset checks, computed inside the asset they check (one per rule)."""

from dataclasses import dataclass, field

import dagster as dg
import pandas as pd

from mtm_pipeline.assets.quarter_step import QuarterStep
from mtm_pipeline.check_results import failure_table_markdown, findings_to_rows, summarise_by_rule
from mtm_pipeline.partitions import quarter_partitions


class ChecksConfig(dg.Config):
    """Per-rule severity overrides, e.g. {"parts_sum_to_total": "ERROR"}: a failed ERROR rule blocks
    publication of the stage (plausible_change always stays a warning)."""

    severity_overrides: dict[str, str] = {}  # noqa: RUF012 (a pydantic field: copied per instance)


def _rules() -> dict:
    from mtm_pipeline.checks.rules import RULES

    return RULES


def check_specs(asset_name: str) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            name=rule.name, asset=asset_name, description=rule.description, partitions_def=quarter_partitions
        )
        for rule in _rules().values()
    ]


@dataclass
class StageOutcome:
    quarter: str
    stage: str
    findings: list
    rows: pd.DataFrame | None
    check_results: list = field(default_factory=list)
    suggestions: object = None  # checks.suggest.Suggestions for the failing findings

    @property
    def blocking(self) -> list:
        return [f for f in self.findings if not f.passed and f.severity == "ERROR"]

    @property
    def blocked(self) -> bool:
        return bool(self.blocking)

    def blocked_message(self) -> str:
        return (
            f"{len(self.blocking)} ERROR-severity finding(s) in the {self.stage} stage of {self.quarter}; "
            "the stage was not published. First: " + self.blocking[0].message
        )


def evaluate_stage(
    step: QuarterStep, quarter: str, config: ChecksConfig, frame: pd.DataFrame, history: list, stage: str
) -> StageOutcome:
    """Run every rule on one stage of one quarter (history: the other quarters' rows, normalised by
    `prepare_history`), alert on failures, and prepare the check results."""
    from mtm_pipeline.alerts import alerts_from_findings, deliver_alerts
    from mtm_pipeline.checks.rules import evaluate_rules
    from mtm_pipeline.checks.suggest import Suggestions, suggest_corrections

    asset_key = step.asset_key.to_user_string()
    rules = _rules()
    findings = evaluate_rules(frame, history, severities=config.severity_overrides)
    outcome = StageOutcome(quarter, stage, findings, findings_to_rows(findings, quarter=quarter, stage=stage))
    try:
        outcome.suggestions = suggest_corrections(
            frame, history, findings, config.severity_overrides, quarter=quarter, stage=stage
        )
    except Exception as error:  # a bug in the suggestions must not stop the checks or the publication
        step.context.log.exception(f"suggested corrections of the {stage} stage of {quarter} failed")
        outcome.suggestions = Suggestions(quarter, stage, [], [], 0, f"failed ({error!r})", 0.0)
    log = step.context.log.warning if outcome.suggestions.stopped_early else step.context.log.info
    log(outcome.suggestions.summary())
    default = {name: spec.default_severity for name, spec in rules.items()}
    for summary in summarise_by_rule(findings, rules, default):
        outcome.check_results.append(
            step.check(
                quarter,
                summary.rule,
                passed=summary.passed,
                severity=dg.AssetCheckSeverity.ERROR
                if summary.severity == "ERROR"
                else dg.AssetCheckSeverity.WARN,
                metadata={
                    "stage": stage,
                    "evaluated": summary.evaluated,
                    "failed": len(summary.failed),
                    "failures": dg.MetadataValue.md(failure_table_markdown(summary.failed))
                    if summary.failed
                    else "none",
                    **suggestion_metadata(outcome.suggestions, summary.failed),
                },
            )
        )
    alerts = alerts_from_findings(
        findings, quarter=quarter, stage=stage, asset_key=asset_key, suggestions=outcome.suggestions
    )
    if alerts:
        report = deliver_alerts(alerts)
        step.context.log.warning(
            f"{len(alerts)} failed check(s) in {stage} stage of {quarter}; alerts: {report}"
        )
    return outcome


def suggestion_metadata(suggestions, failed: list) -> dict:
    """The check's suggested corrections (top suggestion per failing finding, or why none), for the UI."""
    if not failed:
        return {}
    from mtm_pipeline.alerts import suggestion_line

    lines = [
        f"- **{f.subject}**: {suggestion_line(suggestions, f.rule, f.subject) or 'none'}" for f in failed
    ]
    return {
        "suggested_corrections": dg.MetadataValue.md("\n".join(lines)),
        "suggestions_search": suggestions.summary(),
    }


def contract_check(asset_name: str, check_name: str, description: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name=check_name, asset=asset_name, description=description, partitions_def=quarter_partitions
    )


def record_contract_failure(
    step: QuarterStep, quarter: str, con, *, check_name: str, stage: str, source: str, error: Exception
) -> dg.AssetCheckResult | dg.AssetCheckEvaluation:
    """Store and alert an ERROR finding for a refused extract; mark the quarter failed; return the failed
    check result to yield."""
    from mtm_pipeline.alerts import alerts_from_findings, deliver_alerts
    from mtm_pipeline.checks.findings import Finding
    from mtm_pipeline.warehouse.quarters import record_check_results

    first_line = str(error).splitlines()[0]
    finding = Finding(
        rule=check_name,
        source=source,
        subject=first_line,
        obs_ids=(),
        passed=False,
        severity="ERROR",
        expected="the extract contract (data/raw/README.md)",
        observed=first_line,
        tolerance=None,
        message=str(error),
    )
    record_check_results(
        con,
        {"quarter": quarter, "stage": stage, "source": source, "rule": check_name},
        findings_to_rows([finding], quarter=quarter, stage=stage),
    )
    deliver_alerts(
        alerts_from_findings(
            [finding], quarter=quarter, stage=stage, asset_key=step.asset_key.to_user_string()
        )
    )
    step.fail(quarter, str(error))
    return step.check(
        quarter,
        check_name,
        passed=False,
        metadata={"problems": dg.MetadataValue.md("```\n" + str(error) + "\n```")},
    )


def clear_contract_failure(
    step: QuarterStep, quarter: str, con, *, check_name: str, stage: str, source: str
) -> dg.AssetCheckResult | dg.AssetCheckEvaluation:
    from mtm_pipeline.warehouse.quarters import record_check_results

    record_check_results(
        con, {"quarter": quarter, "stage": stage, "source": source, "rule": check_name}, None
    )
    return step.check(quarter, check_name, passed=True)
