//! The targets of docs/BENCHMARKS.md next to what a run measured: one row per figure
//! (scenario, figure, target, measured, met), a scenario at a time.

use serde_json::{Value, json};

use crate::stats;

/// The verdicts on a run's figures (`companies`: `long`, `short` and `import`).
pub fn verdicts(companies: &Value) -> Value {
    let long = &companies["long"];
    let short = &companies["short"];
    let mut v = Verdicts::default();
    v.import(&companies["import"]);
    if long.is_null() {
        return Value::Array(v.rows);
    }
    v.incremental_sync(&long["incremental_sync"], &short["incremental_sync"]);
    v.reconnect_storm(&long["reconnect_storm"]);
    v.new_device(&long["new_device"]);
    v.reports(&long["reports"], &short["reports"]);
    v.device(&long["device"]);
    Value::Array(v.rows)
}

/// A figure as a number (NaN when it is missing, which meets no target).
fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// The long company's figure over the short one's, rounded.
fn ratio(long: f64, short: f64) -> f64 {
    stats::round(long / short)
}

const MIB: f64 = 1024.0 * 1024.0;

#[derive(Default)]
struct Verdicts {
    rows: Vec<Value>,
}

impl Verdicts {
    fn row(&mut self, scenario: &str, figure: &str, target: &str, measured: Value, met: bool) {
        self.rows.push(
            json!({"scenario": scenario, "figure": figure, "target": target,
                              "measured": measured, "met": met}),
        );
    }

    /// A figure reported without a target.
    fn shown(&mut self, scenario: &str, figure: &str, target: &str, measured: Value) {
        self.row(scenario, figure, target, measured, true);
    }

    /// A figure whose target is at most `target`.
    fn at_most(&mut self, scenario: &str, figure: &str, target: f64, measured: f64) {
        let met = measured <= target;
        self.row(
            scenario,
            figure,
            &format!("≤ {target}"),
            json!(measured),
            met,
        );
    }

    /// A memory figure in bytes, shown in MiB, whose target is at most `target` MiB.
    fn at_most_mib(&mut self, scenario: &str, figure: &str, target: f64, bytes: f64) {
        let shown = json!(stats::round(bytes / MIB));
        let met = bytes <= target * MIB;
        self.row(scenario, figure, &format!("≤ {target}"), shown, met);
    }

    fn import(&mut self, import: &Value) {
        let scenario = format!(
            "bulk import of {} accounts, {} contacts, {} users",
            import["accounts"], import["contacts"], import["users"]
        );
        for (k, what) in [
            ("import_ms", "first import, median (ms)"),
            (
                "reimport_unchanged_ms",
                "the same files again, all unchanged, median (ms)",
            ),
        ] {
            self.shown(&scenario, what, "—", import[k]["p50"].clone());
        }
    }

    fn incremental_sync(&mut self, inc: &Value, short: &Value) {
        let scenario = "incremental sync";
        let p50 = f(&inc["server_ms"]["p50"]);
        self.at_most(scenario, "server time p50 (ms)", 5.0, p50);
        self.shown(
            scenario,
            "server time p95 (ms)",
            "—",
            inc["server_ms"]["p95"].clone(),
        );
        let growth = ratio(p50, f(&short["server_ms"]["p50"]));
        self.at_most(scenario, "one-year / one-week p50", 1.3, growth);
        for (k, what) in [
            ("body_overhead_up", "request body beyond change bytes (B)"),
            ("body_overhead_down", "response body (B)"),
            (
                "wire_overhead_up",
                "request on the wire beyond change bytes, HTTP headers included (B)",
            ),
            (
                "wire_overhead_down",
                "response on the wire, HTTP headers included (B)",
            ),
        ] {
            self.at_most(scenario, what, 256.0, f(&inc[k]));
        }
    }

    fn reconnect_storm(&mut self, storm: &Value) {
        let scenario = "reconnect storm";
        let all = f(&storm["all_acknowledged_ms"]);
        self.at_most(
            scenario,
            "all acknowledged, median of the rounds (ms)",
            3000.0,
            all,
        );
        let rss = f(&storm["server_peak_rss_bytes"]);
        self.at_most_mib(scenario, "server peak RSS (MiB)", 256.0, rss);
    }

    fn new_device(&mut self, nd: &Value) {
        let scenario = "new device";
        let wall = f(&nd["sync_ms"]["p50"]);
        self.at_most(scenario, "initial sync wall time p50 (ms)", 2000.0, wall);
        self.at_most(scenario, "round trips", 10.0, f(&nd["round_trips"]));
        let rss = f(&nd["peak_rss_bytes"]);
        self.at_most_mib(scenario, "device peak RSS (MiB)", 100.0, rss);
        self.shown(
            scenario,
            "documents",
            "about 3,500",
            nd["documents"].clone(),
        );
    }

    fn reports(&mut self, long: &Value, short: &Value) {
        for (k, what, target) in [
            (
                "weekly_visits",
                "weekly visits report, one team (ms p50)",
                50.0,
            ),
            (
                "team_week",
                "weekly team scorecards, one team (ms p50)",
                50.0,
            ),
            (
                "scorecard_month",
                "a rep's monthly scorecard (ms p50)",
                20.0,
            ),
        ] {
            let p50 = f(&long[k]["ms"]["p50"]);
            let growth = ratio(p50, f(&short[k]["ms"]["p50"]));
            self.at_most("reports", what, target, p50);
            let figure = format!("{k}: one-year / one-week p50");
            self.at_most("reports", &figure, 1.5, growth);
        }
    }

    fn device(&mut self, dev: &Value) {
        for (k, what, target) in [
            ("log_visit_ms", "log a visit (ms p50)", 2.0),
            (
                "open_store_ms",
                "open a store with a year of records (ms p50)",
                300.0,
            ),
            ("timeline_ms", "account timeline (ms p50)", 20.0),
        ] {
            self.at_most("device", what, target, f(&dev[k]["p50"]));
        }
    }
}
