//! The generator's random numbers: SplitMix64 seeded through SHA-256.
//!
//! Bundles are checked into detection repositories and compared byte for byte, so
//! the random stream is part of the bundle format's stability contract. A general
//! RNG crate may change its value streams between versions; these few lines will
//! not. Streams are derived per label (`spec/step`), so editing one step does not
//! reshuffle the random choices of the others.

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// An independent stream for `label` under `seed`.
    pub fn derive(seed: u64, label: &str) -> Rng {
        let mut hasher = Sha256::new();
        hasher.update(seed.to_le_bytes());
        hasher.update(label.as_bytes());
        let digest = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        Rng {
            state: u64::from_le_bytes(first),
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, n)`, without modulo bias; `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }

    /// Uniform in `[lo, hi]`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        debug_assert!(lo <= hi);
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.below(span),
            None => self.next_u64(),
        }
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Upper-case hex of `digits` nibbles.
    pub fn hex(&mut self, digits: usize) -> String {
        (0..digits)
            .map(|_| {
                char::from_digit(self.below(16) as u32, 16)
                    .unwrap_or('0')
                    .to_ascii_uppercase()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_label_dependent() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::derive(7, "x");
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::derive(7, "x");
                move |_| r.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::derive(7, "y");
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn value_stream_is_pinned() {
        // Bundles in detection repos depend on these exact values: a change here
        // is a bundle-format change and needs a format version bump.
        let mut r = Rng::derive(0, "pin");
        let first = r.next_u64();
        let mut again = Rng::derive(0, "pin");
        assert_eq!(first, again.next_u64());
        insta::assert_snapshot!(format!("{first:016x} {:016x}", r.next_u64()), @"7c8c52bf609531e2 34c0cf0aa68727bd");
    }

    #[test]
    fn between_stays_in_bounds() {
        let mut r = Rng::derive(1, "b");
        for _ in 0..1000 {
            let v = r.between(10, 12);
            assert!((10..=12).contains(&v));
        }
        assert_eq!(r.between(5, 5), 5);
        assert_eq!(r.hex(6).len(), 6);
    }
}
