//! The CAPTCHA image: random characters drawn from the stroke font, each scaled, sheared,
//! rotated and moved at random, every point jittered, the whole bent by a wave and crossed by
//! noise strokes, all in one SVG path whose pieces are shuffled so that the document's
//! structure does not give the characters away. No external resource, no dependency.

use std::fmt::Write as _;

use super::glyphs::{ALPHABET, strokes};
use crate::token::TokenError;

/// Characters in an answer.
pub const ANSWER_LEN: usize = 5;

const WIDTH: f64 = 260.0;
const HEIGHT: f64 = 90.0;

/// A fresh answer: [`ANSWER_LEN`] characters from the system's secure random generator.
pub fn new_answer() -> Result<String, TokenError> {
    let mut answer = String::with_capacity(ANSWER_LEN);
    let span = ALPHABET.len();
    // Bytes at or above the largest multiple of the alphabet's size are dropped, so every
    // character is equally likely.
    let limit = 256 - 256 % span;
    while answer.len() < ANSWER_LEN {
        let mut bytes = [0u8; 16];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| TokenError::Crypto)?;
        for b in bytes.iter().map(|b| usize::from(*b)).filter(|b| *b < limit) {
            if answer.len() < ANSWER_LEN {
                answer.push(char::from(ALPHABET[b % span]));
            }
        }
    }
    Ok(answer)
}

/// Whether what the viewer typed is the answer (case, spaces and dashes do not matter).
pub fn answer_matches(expected: &str, typed: &str) -> bool {
    let typed: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    !expected.is_empty() && typed == expected
}

/// A small generator for drawing noise; its seed comes from the secure generator.
struct Noise(u64);

impl Noise {
    fn seeded() -> Result<Self, TokenError> {
        let mut seed = [0u8; 8];
        aws_lc_rs::rand::fill(&mut seed).map_err(|_| TokenError::Crypto)?;
        Ok(Self(u64::from_le_bytes(seed)))
    }

    /// splitmix64.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn range(&mut self, low: f64, high: f64) -> f64 {
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        low + (high - low) * unit
    }
}

/// The SVG image of `answer`.
// Limitation: the CAPTCHA is visual only; there is no audio alternative for viewers who
// cannot see the image.
pub fn render(answer: &str) -> Result<String, TokenError> {
    let mut noise = Noise::seeded()?;
    let phase = noise.range(0.0, std::f64::consts::TAU);
    let amplitude = noise.range(2.0, 5.0);
    let bend = |x: f64, y: f64| (x, y + amplitude * (x / 19.0 + phase).sin());
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();

    let cell = (WIDTH - 30.0) / answer.len().max(1) as f64;
    for (i, c) in answer.bytes().enumerate() {
        let cx = 15.0 + cell * (i as f64 + 0.5) + noise.range(-4.0, 4.0);
        let cy = HEIGHT / 2.0 + noise.range(-8.0, 8.0);
        let scale = noise.range(3.5, 4.5);
        let (sin, cos) = noise.range(-0.4, 0.4).sin_cos();
        let shear = noise.range(-0.3, 0.3);
        for stroke in strokes(c) {
            let mut points = Vec::with_capacity(stroke.len());
            for (gx, gy) in stroke.iter() {
                let (x, y) = (f64::from(*gx) - 4.0, f64::from(*gy) - 6.0);
                let x = (x + shear * y) * scale;
                let y = y * scale;
                let (x, y) = (x * cos - y * sin + cx, x * sin + y * cos + cy);
                let jitter = (noise.range(-1.3, 1.3), noise.range(-1.3, 1.3));
                points.push(bend(x + jitter.0, y + jitter.1));
            }
            pieces.push(points);
        }
    }

    // Long curves across the image and short scratches, drawn like the characters.
    for _ in 0..3 {
        let mut x = noise.range(-10.0, 20.0);
        let mut y = noise.range(10.0, HEIGHT - 10.0);
        let mut points = vec![bend(x, y)];
        while x < WIDTH {
            x += noise.range(15.0, 30.0);
            y = (y + noise.range(-14.0, 14.0)).clamp(5.0, HEIGHT - 5.0);
            points.push(bend(x, y));
        }
        pieces.push(points);
    }
    for _ in 0..14 {
        let (x, y) = (noise.range(0.0, WIDTH), noise.range(0.0, HEIGHT));
        let (dx, dy) = (noise.range(-14.0, 14.0), noise.range(-14.0, 14.0));
        pieces.push(vec![(x, y), (x + dx, y + dy)]);
    }

    // Fisher–Yates, so the path's order says nothing about which piece is which.
    for i in (1..pieces.len()).rev() {
        let j = (noise.next() % (i as u64 + 1)) as usize;
        pieces.swap(i, j);
    }

    let mut path = String::with_capacity(pieces.len() * 64);
    for piece in &pieces {
        for (k, (x, y)) in piece.iter().enumerate() {
            let _ = write!(path, "{}{x:.1} {y:.1}", if k == 0 { "M" } else { "L" });
        }
    }
    Ok(format!(
        concat!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" "##,
            r##"viewBox="0 0 {w} {h}"><rect width="{w}" height="{h}" fill="#f3efe6"/>"##,
            r##"<path d="{path}" fill="none" stroke="#1f2a36" stroke-width="3.2" "##,
            r##"stroke-linecap="round" stroke-linejoin="round"/></svg>"##
        ),
        w = WIDTH,
        h = HEIGHT,
        path = path
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_use_the_alphabet_and_differ() {
        let a = new_answer().expect("random");
        let b = new_answer().expect("random");
        assert_eq!(a.len(), ANSWER_LEN);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
        assert_ne!(a, b, "a 1 in 8 million coincidence");
    }

    #[test]
    fn typed_answers_are_forgiving_about_case_and_spaces() {
        assert!(answer_matches("K7WPX", " k7w px"));
        assert!(answer_matches("K7WPX", "K7-WPX"));
        assert!(!answer_matches("K7WPX", "K7WP"));
        assert!(!answer_matches("", ""));
    }

    #[test]
    fn images_are_svg_without_the_answer_in_clear() {
        let svg = render("K7WPX").expect("random");
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(!svg.contains("K7WPX"));
        assert_ne!(svg, render("K7WPX").expect("random"), "every image differs");
        assert!(svg.len() < 12_000, "{}", svg.len());
    }
}
