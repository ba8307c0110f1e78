//! `chrony-report`: print any of chronyd's reports as read through the
//! library: `chrony-report sources`, `chrony-report sourcestats --json`.
//! Text is laid out like chronyc's; `--json` gives exact values.
#![deny(unsafe_code)]
#![cfg_attr(not(test), no_main)]

use chrony_plugins::report::{text, Model, Record, Report};
use chrony_plugins::{
    output, usage, Activity, AuthData, Client, NtpData, ReportKind, SelectData, ServerStats,
    Source, SourceStats, Tracking,
};
use clap::Parser;
use serde_json::Value as Json;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

chrony_plugins::entry!(main);

/// Print one of chronyd's reports, read through libchrony.
///
/// REPORT is one of: tracking, sources, sourcestats, selectdata, activity,
/// serverstats, ntpdata, authdata, rtcdata, smoothing. chronyd before 4.7
/// serves selectdata, serverstats, ntpdata and authdata on its Unix socket
/// only (root or chronyd's user), unless chrony.conf opens them to the UDP
/// command port with `opencommands` (chrony 4.7 or later).
#[derive(Parser)]
#[command(name = env!("CARGO_BIN_NAME"), version)]
struct Args {
    /// The report to print.
    #[arg(default_value = "tracking", value_parser = parse_report)]
    report: ReportKind,

    #[command(flatten)]
    connection: usage::Connection,

    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,

    /// Print every field as libchrony names it, instead of the table.
    #[arg(long)]
    fields: bool,
}

fn parse_report(text: &str) -> Result<ReportKind, String> {
    text.parse()
        .map_err(|e: chrony_plugins::report::UnknownReport| e.to_string())
}

fn main() -> ExitCode {
    let args = match usage::parse::<Args>() {
        Ok(args) => args,
        Err(usage) => return usage.exit("error: "),
    };
    let mut client = Client::new(args.connection.target.clone());
    let report = match client.report(args.report, args.connection.timeout) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("chrony-report: {e}");
            return ExitCode::FAILURE;
        }
    };
    let output = if args.json {
        json(&client, &report, args.fields).map(|v| format!("{v}\n"))
    } else {
        human(&mut client, &report, args.fields, args.connection.timeout)
    };
    let text = match output {
        Ok(text) => text,
        Err(e) => {
            eprintln!("chrony-report: {e}");
            return ExitCode::FAILURE;
        }
    };
    match output::print_all(&text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

/// Every record as model `M`; `None` for a record without fields (a
/// reference clock in ntpdata and authdata), so indexes match `sources`.
fn models<M: Model>(report: &Report) -> Result<Vec<Option<M>>, String> {
    report
        .indexed_models()
        .map_err(|e| format!("bad {} report: {e}", report.kind))
}

/// The records that have fields, as model `M`.
fn present<M: Model>(report: &Report) -> Result<Vec<M>, String> {
    report
        .models()
        .map_err(|e| format!("bad {} report: {e}", report.kind))
}

fn to_json<M: Model + serde::Serialize>(report: &Report) -> Result<Json, String> {
    serde_json::to_value(models::<M>(report)?).map_err(|e| e.to_string())
}

/// `{"address", "report", "records"}`: typed records, or libchrony's
/// fields with `--fields` (and for rtcdata and smoothing, which have no model).
fn json(client: &Client, report: &Report, fields: bool) -> Result<Json, String> {
    let records = match report.kind {
        _ if fields => raw_json(&report.records)?,
        ReportKind::Tracking => to_json::<Tracking>(report)?,
        ReportKind::Sources => to_json::<Source>(report)?,
        ReportKind::SourceStats => to_json::<SourceStats>(report)?,
        ReportKind::SelectData => to_json::<SelectData>(report)?,
        ReportKind::Activity => to_json::<Activity>(report)?,
        ReportKind::ServerStats => to_json::<ServerStats>(report)?,
        ReportKind::NtpData => to_json::<NtpData>(report)?,
        ReportKind::AuthData => to_json::<AuthData>(report)?,
        ReportKind::RtcData | ReportKind::Smoothing => raw_json(&report.records)?,
    };
    Ok(serde_json::json!({
        "address": client.address().map(|a| a.to_string()),
        "report": report.kind,
        "records": records,
    }))
}

fn raw_json(records: &[Record]) -> Result<Json, String> {
    serde_json::to_value(records).map_err(|e| e.to_string())
}

/// Text like chronyc's for the reports it has tables for; field by field
/// for the rest (and with `--fields`).
fn human(
    client: &mut Client,
    report: &Report,
    fields: bool,
    timeout: Duration,
) -> Result<String, String> {
    Ok(match report.kind {
        _ if fields => text::records(report, &[]),
        ReportKind::Tracking => {
            let t: Vec<Tracking> = present(report)?;
            text::client_lines(client)
                + &t.first()
                    .map(|t| text::tracking(t, SystemTime::now()))
                    .unwrap_or_default()
        }
        ReportKind::Sources => text::sources(&present(report)?),
        ReportKind::SourceStats => text::sourcestats(&present(report)?),
        ReportKind::SelectData => text::selectdata(&present(report)?),
        ReportKind::NtpData | ReportKind::AuthData => {
            // authdata records carry no address: name them from `sources`
            // (same order), best effort.
            let names: Vec<String> = client
                .sources(timeout)
                .map(|s| s.into_iter().map(|s| s.name).collect())
                .unwrap_or_default();
            let names = if names.len() == report.records.len() {
                names
            } else {
                Vec::new()
            };
            text::records(report, &names)
        }
        _ => text::records(report, &[]),
    })
}
