//! Why a function could not be loaded or did not produce a usable result. Each invocation
//! failure maps to the status CloudFront answers with: a thrown error or an exhausted limit is
//! a 503, a result that breaks the event's rules is a 502.

/// What went wrong with an edge function.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FunctionError {
    /// The source is larger than the configured maximum function size.
    #[error("function is {size} bytes, over the {max}-byte limit")]
    TooLarge {
        /// The source's size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The source does not compile, or defines no `handler` function.
    #[error("function does not compile: {0}")]
    Compile(String),
    /// The function threw (or returned a rejected promise).
    #[error("function threw: {0}")]
    Thrown(String),
    /// The function ran past its compute budget and was interrupted.
    #[error("function exceeded its compute budget")]
    ComputeExceeded,
    /// The function allocated past its memory limit.
    #[error("function exceeded its memory limit")]
    MemoryExceeded,
    /// The function returned something CloudFront would not accept.
    #[error("function returned an invalid result: {0}")]
    InvalidResult(String),
    /// The JavaScript engine could not be set up (out of memory at start).
    #[error("function runtime unavailable: {0}")]
    Runtime(String),
}

impl FunctionError {
    /// The status the viewer gets when an invocation fails this way (CloudFront's mapping).
    pub fn status(&self) -> u16 {
        match self {
            FunctionError::InvalidResult(_) => 502,
            _ => 503,
        }
    }

    /// A short, bounded label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            FunctionError::TooLarge { .. } => "too_large",
            FunctionError::Compile(_) => "compile",
            FunctionError::Thrown(_) => "thrown",
            FunctionError::ComputeExceeded => "compute_exceeded",
            FunctionError::MemoryExceeded => "memory_exceeded",
            FunctionError::InvalidResult(_) => "invalid_result",
            FunctionError::Runtime(_) => "runtime",
        }
    }
}
