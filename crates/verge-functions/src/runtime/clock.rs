//! The calling thread's CPU time, which the compute budget is measured in: time the thread
//! spent waiting for a core does not count against a function.

use nix::time::{ClockId, clock_gettime};

/// Nanoseconds of CPU time this thread has used.
pub fn thread_cpu_nanos() -> u64 {
    match clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID) {
        Ok(spec) => (spec.tv_sec() as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(spec.tv_nsec() as u64),
        // The clock exists on every Linux since 2.6.12; without it nothing is ever interrupted.
        Err(_) => 0,
    }
}
