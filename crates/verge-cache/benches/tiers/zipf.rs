//! A Zipf-distributed key stream: inverse CDF over precomputed cumulative weights.

/// Draws ranks in `0..n` with probability proportional to `1 / (rank + 1)^alpha`.
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    /// Precomputes the cumulative weights of `n` ranks.
    pub fn new(n: usize, alpha: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(alpha);
                total
            })
            .collect();
        Self { cumulative }
    }

    /// One rank; rank 0 is the most popular.
    pub fn sample(&self, rng: &mut fastrand::Rng) -> u64 {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = rng.f64() * total;
        self.cumulative.partition_point(|&c| c < target) as u64
    }
}
