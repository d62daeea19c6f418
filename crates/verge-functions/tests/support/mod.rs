//! Shared helpers for the runtime tests: compile a function, build an event, invoke.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use verge_functions::kvs::KvsLimits;
use verge_functions::runtime::EdgeLocation;
use verge_functions::{Environment, Event, EventType, Function, Invocation, KeyValueStore, Limits};

pub fn compile(source: &str) -> Function {
    Function::compile("test.js", source, Limits::default(), Vec::new()).expect("compiles")
}

pub fn compile_with(source: &str, limits: Limits, stores: Vec<Arc<KeyValueStore>>) -> Function {
    Function::compile("test.js", source, limits, stores).expect("compiles")
}

pub fn store(name: &str, json: &str) -> Arc<KeyValueStore> {
    Arc::new(KeyValueStore::from_import(name, json, "test", KvsLimits::default()).expect("valid"))
}

pub fn event(json: serde_json::Value) -> Event {
    serde_json::from_value(json).expect("valid event")
}

pub fn viewer_request() -> Event {
    event(serde_json::json!({
        "version": "1.0",
        "context": {"distributionId": "EDFDVBD6EXAMPLE", "eventType": "viewer-request", "requestId": "r-1"},
        "viewer": {"ip": "198.51.100.7"},
        "request": {
            "method": "GET",
            "uri": "/index.html",
            "querystring": {"lang": {"value": "en"}},
            "headers": {"host": {"value": "www.example.com"}, "accept": {"value": "text/html"}},
            "cookies": {"id": {"value": "42"}}
        }
    }))
}

pub fn env() -> Environment {
    Environment {
        now: UNIX_EPOCH + Duration::from_millis(1_716_163_200_000),
        edge_location: EdgeLocation {
            name: "fra".into(),
            server_ip: "127.0.0.1".into(),
            region: "eu-central-1".into(),
        },
        origin_ids: Arc::from(vec!["us".to_owned(), "eu".to_owned()]),
        tenant: None,
    }
}

pub fn run(function: &Function, event: &Event) -> Invocation {
    function.invoke(event, EventType::ViewerRequest, &env())
}

/// Runs a handler body that returns a value, and gives back the JSON it returned.
pub fn returned(body: &str) -> serde_json::Value {
    let source = format!(
        "function handler(event) {{ var r = (function () {{ {body} }})(); event.request.headers['x-out'] = {{ value: JSON.stringify(r) }}; return event.request; }}"
    );
    let function = compile(&source);
    let invocation = run(&function, &viewer_request());
    let Ok(verge_functions::Output::Request(request)) = invocation.result else {
        panic!("{body}: {:?}", invocation.result);
    };
    let out = request.headers.get("x-out").expect("set").value.clone();
    serde_json::from_str(&out).expect("JSON")
}
