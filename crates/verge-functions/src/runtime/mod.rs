//! Compiled functions and their invocation. A [`Function`] is the checked source plus its
//! limits and key-value stores; each thread keeps a warm JavaScript context per function
//! (compiling costs hundreds of microseconds, a warm call tens), and throws a context away
//! after an error or a limit hit so no state leaks from a failed run into the next.

mod clock;
mod instance;
mod natives;
mod source;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::cloudfront::OriginChange;
use crate::error::FunctionError;
use crate::event::{Event, EventType};
use crate::kvs::KeyValueStore;
use crate::output::{self, Output};

/// A function's resource limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest source accepted, in bytes (CloudFront: 10 KB).
    pub max_size: usize,
    /// Memory the function may allocate beyond the runtime's own, in bytes (CloudFront: 2 MB).
    pub max_memory: usize,
    /// CPU time one invocation may use before it is interrupted.
    pub max_compute: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_size: 10 * 1024,
            max_memory: 2 * 1024 * 1024,
            max_compute: Duration::from_millis(5),
        }
    }
}

/// Where the function runs (`cf.edgeLocation`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeLocation {
    /// The POP's name.
    pub name: String,
    /// The address the viewer connected to.
    pub server_ip: String,
    /// The POP's region.
    pub region: String,
}

/// The distribution tenant a request is for (`cf.distributionTenant`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tenant {
    /// The tenant's id.
    pub id: String,
    /// Its parameters by name.
    pub parameters: std::collections::BTreeMap<String, String>,
}

/// What an invocation may know beyond its event.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The frozen clock (`Date.now()` during the invocation).
    pub now: SystemTime,
    /// The POP.
    pub edge_location: EdgeLocation,
    /// The distribution's origin ids, for `selectRequestOriginById` and origin groups.
    pub origin_ids: Arc<[String]>,
    /// The tenant, on a multi-tenant distribution.
    pub tenant: Option<Arc<Tenant>>,
}

impl Default for Environment {
    fn default() -> Self {
        Environment {
            now: SystemTime::now(),
            edge_location: EdgeLocation::default(),
            origin_ids: Arc::from(Vec::new()),
            tenant: None,
        }
    }
}

/// One invocation's result and what it left behind.
#[derive(Debug)]
pub struct Invocation {
    /// What the function decided, or why it failed.
    pub result: Result<Output, FunctionError>,
    /// Where the request should go instead (viewer-request).
    pub origin: Option<OriginChange>,
    /// `console.log` lines, in order.
    pub logs: Vec<String>,
    /// CPU time used.
    pub cpu: Duration,
    /// CPU time as a share of the budget, 0 to 100 (CloudFront's ComputeUtilization).
    pub compute_utilization: u8,
    /// The raw returned value as JSON, for `verge function test`.
    pub returned: Option<serde_json::Value>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A checked function, ready to run on any thread.
#[derive(Debug)]
pub struct Function {
    id: u64,
    name: String,
    source: Arc<str>,
    limits: Limits,
    stores: Arc<[Arc<KeyValueStore>]>,
}

impl Function {
    /// Checks the size, rewrites imports and compiles the function once on this thread, so
    /// syntax errors and a missing `handler` are reported now rather than on the first request.
    pub fn compile(
        name: &str,
        source: &str,
        limits: Limits,
        stores: Vec<Arc<KeyValueStore>>,
    ) -> Result<Function, FunctionError> {
        let prepared = source::prepare(source, limits.max_size)?;
        let function = Function {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name: name.to_owned(),
            source: Arc::from(prepared),
            limits,
            stores: Arc::from(stores),
        };
        instance::warm(&function)?;
        Ok(function)
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key-value stores associated with the function.
    pub fn stores(&self) -> &[Arc<KeyValueStore>] {
        &self.stores
    }

    /// Runs the function on `event`. Never panics on anything the function does.
    pub fn invoke(&self, event: &Event, event_type: EventType, env: &Environment) -> Invocation {
        let json = match serde_json::to_string(event) {
            Ok(json) => json,
            Err(e) => return Invocation::failed(FunctionError::Runtime(e.to_string())),
        };
        let run = instance::run(self, &json, env);
        let compute_utilization = utilization(run.cpu, self.limits.max_compute);
        let returned = run
            .result
            .as_ref()
            .ok()
            .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok());
        let result = match (run.result, &returned) {
            (Err(error), _) => Err(error),
            (Ok(_), None) => Err(FunctionError::InvalidResult(
                "the function returned nothing".to_owned(),
            )),
            (Ok(_), Some(value)) => output::parse(event, event_type, value.clone()),
        };
        Invocation {
            origin: if result.is_ok() { run.origin } else { None },
            result,
            logs: run.logs,
            cpu: run.cpu,
            compute_utilization,
            returned,
        }
    }
}

impl Invocation {
    fn failed(error: FunctionError) -> Invocation {
        Invocation {
            result: Err(error),
            origin: None,
            logs: Vec::new(),
            cpu: Duration::ZERO,
            compute_utilization: 0,
            returned: None,
        }
    }
}

fn utilization(cpu: Duration, budget: Duration) -> u8 {
    if budget.is_zero() {
        return 100;
    }
    let share = cpu.as_nanos().saturating_mul(100) / budget.as_nanos();
    share.min(100) as u8
}
