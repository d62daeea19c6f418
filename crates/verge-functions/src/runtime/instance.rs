//! Warm JavaScript contexts, one per function per thread: a QuickJS runtime with the Verge
//! prelude and the function's code loaded, its memory capped and an interrupt handler that
//! stops it when it runs past its CPU budget. A context that failed is dropped, never reused.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use rquickjs::context::EvalOptions;
use rquickjs::{Context, Ctx, Runtime, Value};

use super::natives::{self, CallState};
use super::{Environment, Function, clock};
use crate::cloudfront::OriginChange;
use crate::error::FunctionError;

const PRELUDE: &str = include_str!("prelude.js");

/// How many warm contexts a thread keeps; the least recently used goes first.
const WARM_PER_THREAD: usize = 32;

/// The stack a function may use (deep recursion is a thrown RangeError, not a crash).
const MAX_STACK: usize = 256 * 1024;

thread_local! {
    static WARM: RefCell<Vec<Instance>> = const { RefCell::new(Vec::new()) };
}

/// What one run produced: the returned value as JSON text, or the failure.
pub(super) struct Run {
    pub result: Result<String, FunctionError>,
    pub origin: Option<OriginChange>,
    pub logs: Vec<String>,
    pub cpu: Duration,
}

/// Builds a context for `function` on this thread and keeps it warm.
pub(super) fn warm(function: &Function) -> Result<(), FunctionError> {
    let instance = Instance::new(function)?;
    put(instance);
    Ok(())
}

/// Runs `function` on this thread's warm context for it, building one if needed.
pub(super) fn run(function: &Function, event: &str, env: &Environment) -> Run {
    let instance = match take(function.id) {
        Some(instance) => Ok(instance),
        None => Instance::new(function),
    };
    let mut instance = match instance {
        Ok(instance) => instance,
        Err(error) => {
            return Run {
                result: Err(error),
                origin: None,
                logs: Vec::new(),
                cpu: Duration::ZERO,
            };
        }
    };
    let run = instance.call(function, event, env);
    if run.result.is_ok() {
        put(instance);
    }
    run
}

fn take(id: u64) -> Option<Instance> {
    WARM.with(|warm| {
        let mut warm = warm.borrow_mut();
        let index = warm.iter().position(|i| i.function_id == id)?;
        Some(warm.remove(index))
    })
}

fn put(instance: Instance) {
    WARM.with(|warm| {
        let mut warm = warm.borrow_mut();
        if warm.len() >= WARM_PER_THREAD {
            warm.remove(0);
        }
        warm.push(instance);
    });
}

struct Instance {
    function_id: u64,
    // Field order is drop order: the context goes before its runtime.
    context: Context,
    _runtime: Runtime,
    state: Rc<RefCell<CallState>>,
    deadline: Rc<Cell<u64>>,
    interrupted: Rc<Cell<bool>>,
}

impl Instance {
    fn new(function: &Function) -> Result<Instance, FunctionError> {
        let runtime = Runtime::new().map_err(|e| FunctionError::Runtime(e.to_string()))?;
        runtime.set_max_stack_size(MAX_STACK);
        let context = Context::full(&runtime).map_err(|e| FunctionError::Runtime(e.to_string()))?;
        let state = Rc::new(RefCell::new(CallState::default()));

        context.with(|ctx| -> Result<(), FunctionError> {
            natives::install(&ctx, state.clone(), function.stores.clone())
                .map_err(|e| FunctionError::Runtime(e.to_string()))?;
            ctx.eval::<(), _>(PRELUDE)
                .map_err(|e| FunctionError::Runtime(describe(&ctx, e)))?;
            let mut options = EvalOptions::default();
            options.strict = true;
            options.global = true;
            options.filename = Some(function.name.clone());
            ctx.eval_with_options::<(), _>(function.source.as_bytes(), options)
                .map_err(|e| FunctionError::Compile(describe(&ctx, e)))?;
            let defined: bool = ctx
                .eval("typeof handler === 'function'")
                .map_err(|e| FunctionError::Compile(describe(&ctx, e)))?;
            if !defined {
                return Err(FunctionError::Compile(
                    "the function does not define handler(event)".to_owned(),
                ));
            }
            Ok(())
        })?;

        let baseline = usize::try_from(runtime.memory_usage().malloc_size).unwrap_or(0);
        runtime.set_memory_limit(baseline.saturating_add(function.limits.max_memory));
        let deadline = Rc::new(Cell::new(0u64));
        let interrupted = Rc::new(Cell::new(false));
        let (check, flag) = (deadline.clone(), interrupted.clone());
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let deadline = check.get();
            let over = deadline != 0 && clock::thread_cpu_nanos() > deadline;
            if over {
                flag.set(true);
            }
            over
        })));

        Ok(Instance {
            function_id: function.id,
            context,
            _runtime: runtime,
            state,
            deadline,
            interrupted,
        })
    }

    fn call(&mut self, function: &Function, event: &str, env: &Environment) -> Run {
        self.state.borrow_mut().begin(env.clone());
        let now = env
            .now
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_millis() as f64);
        let budget = u64::try_from(function.limits.max_compute.as_nanos()).unwrap_or(u64::MAX);
        self.interrupted.set(false);
        let start = clock::thread_cpu_nanos();
        self.deadline.set(start.saturating_add(budget).max(1));

        let interrupted = self.interrupted.clone();
        let result = self.context.with(|ctx| -> Result<String, FunctionError> {
            let fail = |e| failure(&ctx, e, interrupted.get());
            let invoke: rquickjs::Function = ctx.globals().get("__vergeInvoke").map_err(fail)?;
            let mut value: Value = invoke.call((event, now)).map_err(fail)?;
            if let Some(promise) = value.as_promise() {
                value = promise.clone().finish::<Value>().map_err(fail)?;
            }
            match ctx.json_stringify(value).map_err(fail)? {
                Some(json) => json.to_string().map_err(fail),
                None => Ok("null".to_owned()),
            }
        });

        self.deadline.set(0);
        let cpu = Duration::from_nanos(clock::thread_cpu_nanos().saturating_sub(start));
        let mut state = self.state.borrow_mut();
        Run {
            result,
            origin: state.origin.take(),
            logs: std::mem::take(&mut state.logs),
            cpu,
        }
    }
}

/// Turns an engine error into the function's failure.
fn failure(ctx: &Ctx<'_>, error: rquickjs::Error, interrupted: bool) -> FunctionError {
    if interrupted {
        return FunctionError::ComputeExceeded;
    }
    match error {
        rquickjs::Error::Allocation => FunctionError::MemoryExceeded,
        rquickjs::Error::WouldBlock => {
            FunctionError::Thrown("the function's promise never settled".to_owned())
        }
        error => {
            let message = describe(ctx, error);
            if message.contains("out of memory") {
                FunctionError::MemoryExceeded
            } else {
                FunctionError::Thrown(message)
            }
        }
    }
}

/// A readable message for an engine error; for a thrown value, its name and message.
fn describe(ctx: &Ctx<'_>, error: rquickjs::Error) -> String {
    if !matches!(error, rquickjs::Error::Exception) {
        return error.to_string();
    }
    let thrown = ctx.catch();
    if let Some(exception) = thrown.as_exception() {
        let name: String = exception.get("name").unwrap_or_else(|_| "Error".to_owned());
        let message = exception.message().unwrap_or_default();
        let at = exception
            .stack()
            .and_then(|stack| stack.lines().next().map(|l| l.trim().to_owned()))
            .filter(|line| line.starts_with("at "))
            .map(|line| format!(" ({line})"))
            .unwrap_or_default();
        return format!("{name}: {message}{at}");
    }
    match ctx.json_stringify(thrown) {
        Ok(Some(json)) => json
            .to_string()
            .unwrap_or_else(|_| "a thrown value".to_owned()),
        _ => "a thrown value".to_owned(),
    }
}
