//! `verge function test`: one run of a CloudFront Functions file on an event, printed the way
//! CloudFront's TestFunction reports it (or as one JSON object with its field names).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use verge_functions::event::EventType;
use verge_functions::kvs::KvsLimits;
use verge_functions::runtime::EdgeLocation;
use verge_functions::test_function::{TestResult, test};
use verge_functions::{Environment, Event, Function, KeyValueStore, Limits};

/// What `verge function test` was given.
pub struct TestArgs<'a> {
    /// The function file.
    pub function: &'a Path,
    /// The event file.
    pub event: &'a Path,
    /// Stores as name and import file.
    pub kvs: &'a [(String, PathBuf)],
    /// The frozen clock, RFC 3339.
    pub now: Option<&'a str>,
    /// `viewer-request` or `viewer-response`.
    pub event_type: Option<&'a str>,
    /// `cf.edgeLocation.name`.
    pub pop: &'a str,
    /// Print JSON.
    pub json: bool,
}

/// Runs the test; `Ok(true)` when the function succeeded.
pub fn run(args: &TestArgs<'_>) -> Result<bool, String> {
    let source = read(args.function)?;
    let event_text = read(args.event)?;
    let event: Event = serde_json::from_str(&event_text).map_err(|e| {
        format!(
            "{}: not a CloudFront Functions event: {e}",
            args.event.display()
        )
    })?;
    let now = match args.now {
        Some(text) => {
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map(SystemTime::from)
                .map_err(|e| format!("--now {text}: {e}; write e.g. 2024-05-20T00:00:00Z"))?
        }
        None => SystemTime::now(),
    };
    let mut stores = Vec::new();
    for (name, file) in args.kvs {
        let json = read(file)?;
        let store = KeyValueStore::from_import(
            name,
            &json,
            &file.display().to_string(),
            KvsLimits::default(),
        )
        .map_err(|e| e.to_string())?;
        stores.push(Arc::new(store));
    }
    let event_type = match args.event_type {
        Some("viewer-response") => EventType::ViewerResponse,
        Some(_) => EventType::ViewerRequest,
        None => event
            .context
            .event_type
            .unwrap_or(if event.response.is_some() {
                EventType::ViewerResponse
            } else {
                EventType::ViewerRequest
            }),
    };
    let name = args.function.display().to_string();
    let function = Function::compile(&name, &source, Limits::default(), stores)
        .map_err(|e| format!("{name}: {e}"))?;
    let env = Environment {
        now,
        edge_location: EdgeLocation {
            name: args.pop.to_owned(),
            server_ip: "127.0.0.1".to_owned(),
            region: args.pop.to_owned(),
        },
        ..Environment::default()
    };
    let result = test(&function, &event, event_type, &env);
    print(&result, args.json);
    Ok(!result.failed())
}

fn print(result: &TestResult, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(result).unwrap_or_default()
        );
        return;
    }
    println!("Function output:");
    if result.function_output.is_empty() {
        println!("  (none)");
    } else {
        let pretty = serde_json::from_str::<serde_json::Value>(&result.function_output)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| result.function_output.clone());
        println!("{pretty}");
    }
    println!("Logs:");
    for line in &result.function_execution_logs {
        println!("  {line}");
    }
    if !result.function_error_message.is_empty() {
        println!("Error: {}", result.function_error_message);
    }
    println!("Compute utilization: {}", result.compute_utilization);
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}
