"""The label and unit of every outcome, for figures, the report and the console (no plotting
library needed to read them)."""

from __future__ import annotations

from dataclasses import dataclass

SHORT_UNITS = {"hours": "h"}
"""Units shortened in the console's row labels."""


@dataclass(frozen=True)
class MetricStyle:
    """How an outcome is labelled: its name, unit, and the factor from stored value to shown
    value."""

    label: str
    unit: str
    scale: float = 1.0

    def axis(self, prefix: str = "") -> str:
        return f"{prefix}{self.label} ({self.unit})"


METRICS: dict[str, MetricStyle] = {
    "backlog_mean": MetricStyle("mean backlog", "open cases"),
    "backlog_end": MetricStyle("backlog at end", "open cases"),
    "created": MetricStyle("cases created", "cases"),
    "time_to_close_mean": MetricStyle("mean time to close", "hours"),
    "time_to_close_p90": MetricStyle("90th pct. time to close", "hours"),
    "time_to_close_beyond_street": MetricStyle("time to close beyond street powers", "hours"),
    "time_to_close_cross_department": MetricStyle("time to close, several departments", "hours"),
    "time_to_close_restricted": MetricStyle("restricted mean time to close", "hours"),
    "open_share": MetricStyle("still open at end", "%", 100.0),
    "open_age_mean": MetricStyle("mean age of open cases", "hours"),
    "open_age_max": MetricStyle("oldest open case", "hours"),
    "settled": MetricStyle("runs whose backlog settled", "%", 100.0),
    "backlog_trend": MetricStyle("backlog growth, steepest tier", "open cases per day"),
    "response_rate": MetricStyle("response rate", "%", 100.0),
    "resolution_rate": MetricStyle("resolution rate", "%", 100.0),
    "satisfaction_rate": MetricStyle("satisfaction rate", "%", 100.0),
    "composite_score": MetricStyle("composite score", "0-100", 100.0),
    "share_closed_low": MetricStyle("closed at grid or street", "%", 100.0),
    "abandonment_rate": MetricStyle("abandoned calls", "%", 100.0),
    "prevented": MetricStyle("appeals prevented", "cases"),
    "problems_arisen": MetricStyle("problems arisen", "problems"),
    "true_fix_rate": MetricStyle("true fix rate", "%", 100.0),
    "reported_resolved_share": MetricStyle("problem cases reported resolved", "%", 100.0),
    "truly_fixed_share": MetricStyle("problem cases truly fixed", "%", 100.0),
    "resolution_gap": MetricStyle("resolution gap, problem cases", "%", 100.0),
    "appeals_per_problem": MetricStyle("appeals per reported problem", "appeals"),
    "fix_time_mean": MetricStyle("mean time to fix", "hours"),
    "fix_time_p90": MetricStyle("90th pct. time to fix", "hours"),
    "problems_open_end": MetricStyle("problems open at end", "problems"),
    "group_time_to_close_worst_hours": MetricStyle(
        "mean time to close, worst group of residents", "hours"
    ),
    "group_time_to_close_best_hours": MetricStyle(
        "mean time to close, best group of residents", "hours"
    ),
    "group_time_to_close_worst_over_best": MetricStyle(
        "worst group's mean time to close over best's", "ratio"
    ),
    "goodhart_resolution_gap": MetricStyle("measured resolution minus true fix rate", "%", 100.0),
    "goodhart_satisfaction_gap": MetricStyle("measured satisfaction minus unpressed", "%", 100.0),
    "goodhart_response_gap": MetricStyle("measured response minus without rushes", "%", 100.0),
    "gaming_actions_per_1000_orders": MetricStyle("gaming actions per 1,000 orders", "actions"),
    "equity_ttc_gini": MetricStyle("Gini of streets' median time to close", "0-1"),
    "equity_ttc_theil": MetricStyle("Theil of streets' median time to close", "index"),
    "equity_ttc_worst_decile_ratio": MetricStyle(
        "worst-decile streets' time to close over median", "ratio"
    ),
    "equity_share_streets_over_limit": MetricStyle(
        "streets whose median closes past its limit", "%", 100.0
    ),
    "equity_backlog_worst_over_median": MetricStyle(
        "most backlogged street over median street", "ratio"
    ),
    "equity_backlog_gini": MetricStyle("Gini of streets' backlog per resident", "0-1"),
    "volunteer_hours": MetricStyle("party members' hours in sessions", "member-hours"),
    "volunteer_cases": MetricStyle("orders party members visited", "visits"),
    "volunteer_utilisation": MetricStyle("party members' time on orders", "%", 100.0),
    "area_units_fixed": MetricStyle("open problems the area's units fixed", "problems"),
    "area_units_averted": MetricStyle("problems the area's units kept from arising", "problems"),
    "area_units_cost_yuan": MetricStyle("cost of the area's units' resources", "yuan"),
    "deliberation_settled": MetricStyle("problems settled by residents' deliberation", "problems"),
    "projects_chosen": MetricStyle("small projects chosen (民意立项)", "projects"),
    "projects_fixed": MetricStyle("small projects that fixed their problem", "projects"),
    **{
        f"workload_{tier}_{figure}": style
        for tier in ("grid", "street", "district", "department")
        for figure, style in (
            ("case_share", MetricStyle(f"{tier} time on cases (vs other duties)", "%", 100.0)),
            (
                "case_hours_per_person",
                MetricStyle(f"{tier} hours on cases per person", "hours per week"),
            ),
            ("overtime_share", MetricStyle(f"{tier} overtime share of hours worked", "%", 100.0)),
        )
    },
}
"""The label and unit of every outcome (``govsim.experiments.outcomes.OUTCOMES``); a name
missing here is labelled with itself and the unit "value"."""


def metric_style(name: str) -> MetricStyle:
    return METRICS.get(name, MetricStyle(name.replace("_", " "), "value"))


def short_unit(style: MetricStyle) -> str:
    """The unit as the console shows it (``h`` for hours)."""
    return SHORT_UNITS.get(style.unit, style.unit)
