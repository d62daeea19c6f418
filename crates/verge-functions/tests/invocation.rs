//! Invocations end to end: the event a function sees, what its result does, the merge rules
//! for values, and failures (thrown errors, invalid results, runaway loops, memory hogs) that
//! fail only the one invocation.

mod support;

use std::time::Duration;

use serde_json::json;
use support::*;
use verge_functions::event::EventType;
use verge_functions::test_function::test;
use verge_functions::{FunctionError, Limits, Output};

#[test]
fn the_event_has_cloudfronts_shape() {
    let function = compile(
        "function handler(event) {
           return { statusCode: 200, body: JSON.stringify(event) };
         }",
    );
    let Ok(Output::Response(response)) = run(&function, &viewer_request()).result else {
        panic!("expected a response")
    };
    let Some(verge_functions::event::Body::Text(body)) = response.body else {
        panic!("a text body")
    };
    let seen: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(seen["version"], "1.0");
    assert_eq!(seen["context"]["eventType"], "viewer-request");
    assert_eq!(seen["viewer"]["ip"], "198.51.100.7");
    assert_eq!(seen["request"]["method"], "GET");
    assert_eq!(seen["request"]["querystring"]["lang"]["value"], "en");
    assert_eq!(seen["request"]["cookies"]["id"]["value"], "42");
    assert_eq!(
        seen["request"]["headers"]["host"]["value"],
        "www.example.com"
    );
}

#[test]
fn multi_value_wins_over_value_and_a_string_query_is_parsed() {
    let function = compile(
        "function handler(event) {
           const r = event.request;
           r.headers['x-multi'] = { value: 'ignored', multiValue: [{ value: 'a' }, { value: 'b' }] };
           r.querystring = 'b=2&a=1&a=3';
           r.uri = '/rewritten.html';
           delete r.cookies.id;
           r.cookies.session = { value: 'abc' };
           return r;
         }",
    );
    let Ok(Output::Request(request)) = run(&function, &viewer_request()).result else {
        panic!("expected a request")
    };
    assert_eq!(request.uri, "/rewritten.html");
    assert_eq!(
        request.headers.get("x-multi").expect("set").values(),
        ["a", "b"]
    );
    assert_eq!(
        request.querystring.get("a").expect("set").values(),
        ["1", "3"]
    );
    assert!(request.cookies.get("id").is_none());
    assert_eq!(request.cookies.get("session").expect("set").value, "abc");
}

#[test]
fn invalid_results_and_thrown_errors_fail_with_cloudfronts_statuses() {
    for (source, status) in [
        ("function handler(e) { throw new Error('boom'); }", 503),
        ("function handler(e) { return 42; }", 502),
        ("function handler(e) { }", 502),
        (
            "function handler(e) { e.request.method = 'POST'; return e.request; }",
            502,
        ),
        (
            "function handler(e) { e.request.headers.host = { value: 'evil' }; return e.request; }",
            502,
        ),
        (
            "function handler(e) { e.request.headers['x-amz-cf-id'] = { value: 'x' }; return e.request; }",
            502,
        ),
        ("function handler(e) { return { statusCode: 99 }; }", 502),
        ("function handler(e) { null.x; }", 503),
    ] {
        let error = run(&compile(source), &viewer_request())
            .result
            .expect_err(source);
        assert_eq!(error.status(), status, "{source}: {error}");
    }
}

#[test]
fn a_runaway_loop_is_interrupted_and_the_next_call_runs() {
    let limits = Limits {
        max_compute: Duration::from_millis(20),
        ..Limits::default()
    };
    let function = compile_with(
        "function handler(e) { if (e.request.uri === '/spin') { for (;;) {} } return e.request; }",
        limits,
        Vec::new(),
    );
    let mut spin = viewer_request();
    spin.request.uri = "/spin".into();
    let invocation = run(&function, &spin);
    assert_eq!(
        invocation.result.expect_err("interrupted"),
        FunctionError::ComputeExceeded
    );
    assert_eq!(invocation.compute_utilization, 100);

    let next = run(&function, &viewer_request());
    assert!(next.result.is_ok(), "{:?}", next.result);
}

#[test]
fn a_memory_hog_is_stopped_at_its_limit() {
    let function = compile(
        "function handler(e) { const hog = []; for (;;) { hog.push('x'.repeat(1024) + hog.length); } }",
    );
    let error = run(&function, &viewer_request())
        .result
        .expect_err("out of memory");
    assert_eq!(error, FunctionError::MemoryExceeded);
    assert!(
        run(
            &compile("function handler(e) { return e.request; }"),
            &viewer_request()
        )
        .result
        .is_ok()
    );
}

#[test]
fn compile_errors_and_size_limits_are_reported_at_load() {
    let error = verge_functions::Function::compile(
        "bad.js",
        "function handler(e) {",
        Limits::default(),
        Vec::new(),
    )
    .expect_err("syntax error");
    assert!(
        matches!(&error, FunctionError::Compile(m) if m.contains("SyntaxError")),
        "{error}"
    );

    let error =
        verge_functions::Function::compile("none.js", "var x = 1;", Limits::default(), Vec::new())
            .expect_err("no handler");
    assert!(error.to_string().contains("handler"), "{error}");

    let big = format!(
        "function handler(e) {{ return e.request; }} // {}",
        "x".repeat(11 * 1024)
    );
    let error = verge_functions::Function::compile("big.js", &big, Limits::default(), Vec::new())
        .expect_err("too large");
    assert!(matches!(error, FunctionError::TooLarge { .. }));
}

#[test]
fn viewer_response_functions_change_status_and_headers() {
    let function = compile(
        "function handler(event) {
           const response = event.response;
           response.headers['strict-transport-security'] = { value: 'max-age=63072000' };
           response.cookies.seen = { value: '1', attributes: 'Path=/; Secure' };
           return response;
         }",
    );
    let mut event = viewer_request();
    event.context.event_type = Some(EventType::ViewerResponse);
    event.response = Some(
        serde_json::from_value(json!({
            "statusCode": 200, "statusDescription": "OK",
            "headers": {"content-type": {"value": "text/html"}}
        }))
        .expect("valid"),
    );
    let invocation = function.invoke(&event, EventType::ViewerResponse, &env());
    let Ok(Output::Response(response)) = invocation.result else {
        panic!("{:?}", invocation.result)
    };
    assert_eq!(response.status_code, 200);
    assert!(response.headers.get("strict-transport-security").is_some());
    assert_eq!(
        response
            .cookies
            .get("seen")
            .expect("set")
            .header_values("seen"),
        ["seen=1; Path=/; Secure"]
    );
}

#[test]
fn test_results_have_testfunctions_fields() {
    let function = compile("function handler(e) { console.log('hi'); return e.request; }");
    let result = test(
        &function,
        &viewer_request(),
        EventType::ViewerRequest,
        &env(),
    );
    assert!(!result.failed());
    let output: serde_json::Value = serde_json::from_str(&result.function_output).expect("JSON");
    assert_eq!(output["request"]["uri"], "/index.html");
    let json = serde_json::to_value(&result).expect("serialises");
    assert_eq!(json["FunctionExecutionLogs"], json!(["hi"]));
    assert_eq!(json["FunctionErrorMessage"], "");
    assert!(json["ComputeUtilization"].is_string());
}
