//! Content digests (SHA-256) of what a result depends on, the keys of the
//! result cache ([`crate::cache`]).

use std::fmt;

use sha2::{Digest as _, Sha256};

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The digest of one byte string.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// The digest of a sequence of byte strings. Each part is length-prefixed,
    /// so `["ab", "c"]` and `["a", "bc"]` differ.
    pub fn of_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Digest {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        Digest(hasher.finalize().into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The first 16 bytes as 32 lower-case hex digits: the cache's key text.
    /// 128 bits keep accidental collisions out of reach for any repository.
    pub fn key(&self) -> String {
        self.0[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_delimited() {
        let ab_c = Digest::of_parts([b"ab".as_slice(), b"c"]);
        let a_bc = Digest::of_parts([b"a".as_slice(), b"bc"]);
        assert_ne!(ab_c, a_bc);
        assert_eq!(ab_c, Digest::of_parts([b"ab".as_slice(), b"c"]));
    }

    #[test]
    fn key_is_the_first_half_of_sha256_in_hex() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(Digest::of(b"abc").key(), "ba7816bf8f01cfea414140de5dae2223");
    }
}
