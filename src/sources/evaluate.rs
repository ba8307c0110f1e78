//! The check's verdict on a list of sources: counts, reachability, required
//! sources and offsets against the configured ranges, as data (the text is
//! [`super::render`]'s job).

use super::config::Config;
use super::model::{Selection, Selector, Source};
use crate::check::{Limits, Range, State};

/// A figure computed over all sources, with stable perfdata labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Sources left after `--ignore`.
    Sources,
    /// Sources with a non-zero reach register.
    Reachable,
    /// Sources chronyd's selection accepts (`*`, `+`, `-`).
    Usable,
    /// Whether chronyd selected a source (`*`): 0 or 1, counted even
    /// when that source is ignored.
    Selected,
    /// Falsetickers (`x`).
    Falsetickers,
    /// Jittery sources (`~`).
    Jittery,
    /// The lowest reachability of any source (percent).
    ReachWorst,
    /// The mean reachability (percent).
    ReachMean,
}

/// Every metric, in perfdata order.
pub const METRICS: [Metric; 8] = [
    Metric::Sources,
    Metric::Reachable,
    Metric::Usable,
    Metric::Selected,
    Metric::Falsetickers,
    Metric::Jittery,
    Metric::ReachWorst,
    Metric::ReachMean,
];

impl Metric {
    /// The perfdata label (and the name in the text).
    pub fn label(self) -> &'static str {
        match self {
            Metric::Sources => "sources",
            Metric::Reachable => "reachable",
            Metric::Usable => "usable",
            Metric::Selected => "selected",
            Metric::Falsetickers => "falsetickers",
            Metric::Jittery => "jittery",
            Metric::ReachWorst => "reach_worst",
            Metric::ReachMean => "reach_mean",
        }
    }

    /// Whether the value is a percentage.
    pub fn is_percent(self) -> bool {
        matches!(self, Metric::ReachWorst | Metric::ReachMean)
    }

    fn limits(self, config: &Config) -> Option<&Limits> {
        let t = &config.thresholds;
        match self {
            Metric::Reachable => Some(&t.reachable),
            Metric::Usable => Some(&t.usable),
            Metric::Falsetickers => Some(&t.falsetickers),
            Metric::Jittery => Some(&t.jittery),
            Metric::ReachWorst => Some(&t.reach_worst),
            Metric::ReachMean => Some(&t.reach_mean),
            Metric::Sources | Metric::Selected => None,
        }
        .filter(|l| !l.is_empty())
    }
}

/// One metric's value and verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<'a> {
    /// Which metric.
    pub metric: Metric,
    /// Its value; `None` for reachability when there is no source.
    pub value: Option<f64>,
    /// `None` when not evaluated (no value).
    pub state: Option<State>,
    /// The range that set a non-OK state.
    pub tripped: Option<&'a Range>,
    /// The ranges in effect, if any.
    pub limits: Option<&'a Limits>,
}

/// Why a source is not OK.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem<'a> {
    /// Its reachability tripped `--reach-worst-*`.
    Reach(&'a Range),
    /// Its |offset| + error tripped `-w`/`-c`.
    Offset(&'a Range),
    /// It is required and unreachable.
    RequiredUnreachable,
    /// It is required and not usable.
    RequiredNotUsable,
}

/// One source's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict<'a> {
    /// The source.
    pub source: &'a Source,
    /// Left out by `--ignore`.
    pub ignored: bool,
    /// Named by `--require`.
    pub required: bool,
    /// The worst state of its checks (OK when ignored).
    pub state: State,
    /// What put it there, each with its state.
    pub problems: Vec<(State, Problem<'a>)>,
    /// Whether `-w`/`-c` were applied to its offset (it has a sample).
    pub offset_checked: bool,
}

/// The complete verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation<'a> {
    /// Every source, in chronyd's order.
    pub sources: Vec<Verdict<'a>>,
    /// The metrics in [`METRICS`] order.
    pub metrics: Vec<Checked<'a>>,
    /// `--require` selectors that match no source.
    pub missing: Vec<&'a Selector>,
    /// The selected source, if any (ignored or not: it is what chronyd uses).
    pub selected: Option<&'a Source>,
    /// The overall state.
    pub state: State,
}

impl Evaluation<'_> {
    /// The metric's entry.
    pub fn metric(&self, metric: Metric) -> &Checked<'_> {
        self.metrics
            .iter()
            .find(|c| c.metric == metric)
            .expect("every metric is evaluated")
    }
}

/// Evaluates `sources` as `config` asks.
pub fn evaluate<'a>(sources: &'a [Source], config: &'a Config) -> Evaluation<'a> {
    let t = &config.thresholds;
    let offset_limits = Some(&t.offset).filter(|l| !l.is_empty());
    let reach_limits = Some(&t.reach_worst).filter(|l| !l.is_empty());
    let verdicts: Vec<Verdict> = sources
        .iter()
        .map(|source| {
            let ignored = config.ignore.iter().any(|s| s.matches(source));
            let required = config.require.iter().any(|s| s.matches(source));
            let mut problems = Vec::new();
            let mut offset_checked = false;
            if !ignored {
                if let Some(l) = reach_limits {
                    if let (s, Some(r)) = l.evaluate(source.reach_percent()) {
                        problems.push((s, Problem::Reach(r)));
                    }
                }
                if let (Some(l), true) = (offset_limits, source.has_sample()) {
                    offset_checked = true;
                    if let (s, Some(r)) = l.evaluate(source.offset_bound()) {
                        problems.push((s, Problem::Offset(r)));
                    }
                }
                if required && !source.is_reachable() {
                    problems.push((config.on_required_failed, Problem::RequiredUnreachable));
                } else if required && !source.selection.is_usable() {
                    problems.push((config.on_required_failed, Problem::RequiredNotUsable));
                }
            }
            let state = problems
                .iter()
                .fold(State::Ok, |worst, (s, _)| worst.worst(*s));
            Verdict {
                source,
                ignored,
                required,
                state,
                problems,
                offset_checked,
            }
        })
        .collect();

    let counted: Vec<&Source> = verdicts
        .iter()
        .filter(|v| !v.ignored)
        .map(|v| v.source)
        .collect();
    let count = |f: &dyn Fn(&Source) -> bool| counted.iter().filter(|s| f(s)).count() as f64;
    let reaches = counted.iter().map(|s| s.reach_percent());
    let reach_worst = reaches.clone().reduce(f64::min);
    let reach_mean = (!counted.is_empty()).then(|| reaches.sum::<f64>() / counted.len() as f64);
    let metrics: Vec<Checked> = METRICS
        .iter()
        .map(|&metric| {
            let value = match metric {
                Metric::Sources => Some(counted.len() as f64),
                Metric::Reachable => Some(count(&|s| s.is_reachable())),
                Metric::Usable => Some(count(&|s| s.selection.is_usable())),
                // chronyd's state, even when that source is ignored: the
                // clock follows it all the same.
                Metric::Selected => Some(f64::from(u8::from(
                    sources.iter().any(|s| s.selection == Selection::Selected),
                ))),
                Metric::Falsetickers => Some(count(&|s| s.selection == Selection::Falseticker)),
                Metric::Jittery => Some(count(&|s| s.selection == Selection::Jittery)),
                Metric::ReachWorst => reach_worst,
                Metric::ReachMean => reach_mean,
            };
            let limits = metric.limits(config);
            let (state, tripped) = match (value, limits) {
                (None, _) => (None, None),
                (Some(_), None) => (Some(State::Ok), None),
                (Some(v), Some(l)) => {
                    let (s, r) = l.evaluate(v);
                    (Some(s), r)
                }
            };
            Checked {
                metric,
                value,
                state,
                tripped,
                limits,
            }
        })
        .collect();

    let missing: Vec<&Selector> = config
        .require
        .iter()
        .filter(|sel| !sources.iter().any(|s| sel.matches(s)))
        .collect();
    let selected = sources.iter().find(|s| s.selection == Selection::Selected);

    let mut state = metrics
        .iter()
        .filter_map(|c| c.state)
        .chain(verdicts.iter().map(|v| v.state))
        .fold(State::Ok, State::worst);
    if !missing.is_empty() {
        state = state.worst(config.on_required_failed);
    }
    if selected.is_none() {
        state = state.worst(config.on_no_selected);
    }
    Evaluation {
        sources: verdicts,
        metrics,
        missing,
        selected,
        state,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn healthy_four_sources_are_ok() {
        let sources = healthy();
        let config = Config::default();
        let e = evaluate(&sources, &config);
        assert_eq!(e.state, State::Ok);
        assert_eq!(e.metric(Metric::Usable).value, Some(4.0));
        assert_eq!(e.metric(Metric::ReachWorst).value, Some(100.0));
        assert_eq!(e.selected.unwrap().name(), "192.0.2.1");
    }

    #[test]
    fn counts_follow_selection() {
        let sources = harness();
        let config = Config::default();
        let e = evaluate(&sources, &config);
        let v = |m| e.metric(m).value.unwrap();
        assert_eq!(v(Metric::Sources), 5.0);
        assert_eq!(v(Metric::Reachable), 4.0);
        assert_eq!(v(Metric::Usable), 2.0);
        assert_eq!(v(Metric::Falsetickers), 1.0);
        assert_eq!(v(Metric::Jittery), 0.0);
        assert_eq!(v(Metric::Selected), 1.0);
        assert_eq!(v(Metric::ReachWorst), 0.0);
        assert_eq!(v(Metric::ReachMean), 80.0);
        assert_eq!(e.state, State::Warning);
    }

    #[test]
    fn ignored_sources_leave_every_count() {
        let sources = harness();
        let config = Config {
            ignore: vec![Selector::parse("127.0.0.3").unwrap()],
            ..Config::default()
        };
        let e = evaluate(&sources, &config);
        assert_eq!(e.metric(Metric::Sources).value, Some(4.0));
        assert_eq!(e.metric(Metric::ReachWorst).value, Some(100.0));
        assert!(e.sources[1].ignored);
        assert_eq!(e.sources[1].state, State::Ok);
    }

    #[test]
    fn required_missing_unreachable_or_unusable_is_critical() {
        let sources = harness();
        for (name, problem) in [
            ("192.0.2.99", None),
            ("127.0.0.3", Some(Problem::RequiredUnreachable)),
            ("127.0.0.4", Some(Problem::RequiredNotUsable)),
        ] {
            let mut config = Config::default();
            config.thresholds.usable.warning = None;
            config.thresholds.reach_worst.warning = None;
            config.thresholds.falsetickers.warning = None;
            config.require = vec![Selector::parse(name).unwrap()];
            let e = evaluate(&sources, &config);
            assert_eq!(e.state, State::Critical, "{name}");
            match problem {
                None => assert_eq!(e.missing.len(), 1),
                Some(p) => assert!(e
                    .sources
                    .iter()
                    .any(|v| v.problems.iter().any(|(_, q)| *q == p))),
            }
        }
    }

    #[test]
    fn no_selected_maps() {
        let mut sources = healthy();
        for s in &mut sources {
            s.selection = Selection::Nonselectable;
        }
        let mut config = Config::default();
        config.thresholds.usable = Limits::default();
        assert_eq!(evaluate(&sources, &config).state, State::Critical);
        config.on_no_selected = State::Warning;
        assert_eq!(evaluate(&sources, &config).state, State::Warning);
    }

    #[test]
    fn an_ignored_selected_source_still_counts_as_selected() {
        let sources = healthy();
        let config = Config {
            ignore: vec![Selector::parse("192.0.2.1").unwrap()],
            ..Config::default()
        };
        let e = evaluate(&sources, &config);
        assert_eq!(e.metric(Metric::Selected).value, Some(1.0));
        assert_eq!(e.metric(Metric::Usable).value, Some(3.0));
        assert!(e.selected.is_some());
    }

    #[test]
    fn no_sources_leaves_reach_unevaluated() {
        let config = Config::default();
        let e = evaluate(&[], &config);
        assert_eq!(e.metric(Metric::ReachMean).state, None);
        assert_eq!(e.state, State::Critical);
    }

    #[test]
    fn offset_bound_only_for_sources_with_a_sample() {
        let sources = harness();
        let mut config = Config::default();
        config.thresholds.offset.critical =
            Some(Range::parse("0.5", crate::check::Unit::Seconds).unwrap());
        let e = evaluate(&sources, &config);
        assert!(!e.sources[1].offset_checked, "never answered");
        assert!(e.sources[2]
            .problems
            .iter()
            .any(|(s, p)| *s == State::Critical && matches!(p, Problem::Offset(_))));
    }
}
