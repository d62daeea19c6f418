//! What CloudFront's TestFunction reports for one run: the function's output as a JSON string
//! (`{"request": ...}` or `{"response": ...}`), its logs, the error message and the compute
//! utilization. `verge function test` prints this, as text or as one JSON object.

use serde::Serialize;

use crate::event::{Event, EventType};
use crate::output::Output;
use crate::runtime::{Environment, Function};

/// TestFunction's result, with its field names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestResult {
    /// The returned request or response, as a JSON string (empty when the function failed).
    pub function_output: String,
    /// `console.log` lines.
    pub function_execution_logs: Vec<String>,
    /// Why the function failed (empty when it succeeded).
    pub function_error_message: String,
    /// CPU time as a share of the budget, 0 to 100, as a string (as AWS prints it).
    pub compute_utilization: String,
}

impl TestResult {
    /// Whether the function failed.
    pub fn failed(&self) -> bool {
        !self.function_error_message.is_empty()
    }
}

/// Runs `function` once on `event`.
pub fn test(
    function: &Function,
    event: &Event,
    event_type: EventType,
    env: &Environment,
) -> TestResult {
    let invocation = function.invoke(event, event_type, env);
    let (function_output, function_error_message) = match &invocation.result {
        Ok(Output::Request(request)) => (wrap("request", request), String::new()),
        Ok(Output::Response(response)) => (wrap("response", response), String::new()),
        Err(error) => (String::new(), error.to_string()),
    };
    TestResult {
        function_output,
        function_execution_logs: invocation.logs,
        function_error_message,
        compute_utilization: invocation.compute_utilization.to_string(),
    }
}

fn wrap<T: Serialize>(name: &str, value: &T) -> String {
    serde_json::to_string(&serde_json::json!({ name: value })).unwrap_or_default()
}
