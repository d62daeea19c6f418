//! Edge function metric families: invocations by function, event type and outcome, and the
//! CPU time functions used. Registered in `registry.rs` with every other family.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use super::names;
use super::registry::Metrics;

/// Labels of one function's invocations.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct InvocationLabels {
    pub(crate) function: String,
    pub(crate) event_type: &'static str,
    pub(crate) outcome: &'static str,
}

/// Labels of one function.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct FunctionLabels {
    pub(crate) function: String,
}

/// The function families, one field of [`Metrics`].
#[derive(Debug, Default)]
pub(super) struct FunctionFamilies {
    pub(super) invocations: Family<InvocationLabels, Counter>,
    pub(super) compute: Family<FunctionLabels, Counter<f64>>,
}

/// Registers the function families, which share their storage with `functions`.
pub(super) fn register(registry: &mut Registry, functions: &FunctionFamilies) {
    registry.register(
        names::counter_base(names::FUNCTION_INVOCATIONS_TOTAL),
        "Edge function invocations, by outcome",
        functions.invocations.clone(),
    );
    registry.register(
        names::counter_base(names::FUNCTION_COMPUTE_SECONDS_TOTAL),
        "CPU time edge functions used",
        functions.compute.clone(),
    );
}

impl Metrics {
    /// Counts one invocation of `function` for `event_type` (`viewer-request` or
    /// `viewer-response`) with its `outcome` (`ok`, or the failure kind such as `thrown`,
    /// `invalid_result`, `compute_exceeded`), and the CPU seconds it used.
    pub fn function_invocation(
        &self,
        function: &str,
        event_type: &'static str,
        outcome: &'static str,
        cpu_seconds: f64,
    ) {
        let labels = InvocationLabels {
            function: function.to_owned(),
            event_type,
            outcome,
        };
        self.functions.invocations.get_or_create(&labels).inc();
        if cpu_seconds.is_finite() && cpu_seconds >= 0.0 {
            let labels = FunctionLabels {
                function: function.to_owned(),
            };
            self.functions
                .compute
                .get_or_create(&labels)
                .inc_by(cpu_seconds);
        }
    }
}
