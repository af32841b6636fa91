//! ChaCha20 (RFC 8439 §2.3) as the generator's only source of randomness.
//!
//! Self-contained on purpose: the output bytes of every world depend on this keystream,
//! so it must never change with a crate upgrade. The block function is checked against
//! the RFC 8439 test vectors below.
//!
//! Streams: every purpose (terrain, pois, entities, ...) reads its own keystream whose
//! key is `SHA-256("pacai-worldgen/stream\0" || seed as u64 little-endian || label)`,
//! with a zero nonce and the block counter starting at 0. Adding a new stream later
//! therefore shifts no other stream. Words are taken from each 64-byte block in order,
//! as little-endian `u32`s.

use sha2::{Digest, Sha256};

const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

#[inline(always)]
fn quarter_round(a: &mut u32, b: &mut u32, c: &mut u32, d: &mut u32) {
    *a = a.wrapping_add(*b);
    *d = (*d ^ *a).rotate_left(16);
    *c = c.wrapping_add(*d);
    *b = (*b ^ *c).rotate_left(12);
    *a = a.wrapping_add(*b);
    *d = (*d ^ *a).rotate_left(8);
    *c = c.wrapping_add(*d);
    *b = (*b ^ *c).rotate_left(7);
}

/// The ChaCha20 block function: 16 keystream words for (key, counter, nonce).
pub fn block(key: &[u32; 8], counter: u32, nonce: &[u32; 3]) -> [u32; 16] {
    let [k0, k1, k2, k3, k4, k5, k6, k7] = *key;
    let [n0, n1, n2] = *nonce;
    let [c0, c1, c2, c3] = CONSTANTS;
    let init = [
        c0, c1, c2, c3, k0, k1, k2, k3, k4, k5, k6, k7, counter, n0, n1, n2,
    ];
    let [mut x0, mut x1, mut x2, mut x3, mut x4, mut x5, mut x6, mut x7, mut x8, mut x9, mut x10, mut x11, mut x12, mut x13, mut x14, mut x15] =
        init;
    for _ in 0..10 {
        quarter_round(&mut x0, &mut x4, &mut x8, &mut x12);
        quarter_round(&mut x1, &mut x5, &mut x9, &mut x13);
        quarter_round(&mut x2, &mut x6, &mut x10, &mut x14);
        quarter_round(&mut x3, &mut x7, &mut x11, &mut x15);
        quarter_round(&mut x0, &mut x5, &mut x10, &mut x15);
        quarter_round(&mut x1, &mut x6, &mut x11, &mut x12);
        quarter_round(&mut x2, &mut x7, &mut x8, &mut x13);
        quarter_round(&mut x3, &mut x4, &mut x9, &mut x14);
    }
    let mut out = [
        x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15,
    ];
    for (word, start) in out.iter_mut().zip(init) {
        *word = word.wrapping_add(start);
    }
    out
}

/// Reads a 32-byte key as eight little-endian words.
pub fn key_from_bytes(bytes: &[u8; 32]) -> [u32; 8] {
    let mut key = [0u32; 8];
    for (word, chunk) in key.iter_mut().zip(bytes.chunks_exact(4)) {
        let mut le = [0u8; 4];
        le.copy_from_slice(chunk);
        *word = u32::from_le_bytes(le);
    }
    key
}

/// The key of stream `label` for `seed` (see the module docs).
pub fn stream_key(seed: u64, label: &str) -> [u32; 8] {
    let mut hasher = Sha256::new();
    hasher.update(b"pacai-worldgen/stream\0");
    hasher.update(seed.to_le_bytes());
    hasher.update(label.as_bytes());
    let digest: [u8; 32] = hasher.finalize().into();
    key_from_bytes(&digest)
}

/// A sequential reader of one keystream, with the few draws the generator needs.
/// Every draw is integer-only, so the sequence is identical on every platform.
#[derive(Clone)]
pub struct Stream {
    key: [u32; 8],
    nonce: [u32; 3],
    counter: u32,
    buf: [u32; 16],
    used: usize,
}

impl Stream {
    pub fn new(seed: u64, label: &str) -> Self {
        Self::from_key(stream_key(seed, label))
    }

    pub fn from_key(key: [u32; 8]) -> Self {
        Self {
            key,
            nonce: [0; 3],
            counter: 0,
            buf: [0; 16],
            used: 16,
        }
    }

    /// One keystream block at `index`, without disturbing sequential reads: random access
    /// for per-entity values (ids, stats) so that entity `n` gets the same words however
    /// many entities came before it. The high bits of `index` go into the nonce.
    pub fn block_at(&self, index: u64) -> [u32; 16] {
        let nonce = [(index >> 32) as u32, 0, 0];
        block(&self.key, index as u32, &nonce)
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.used == self.buf.len() {
            self.buf = block(&self.key, self.counter, &self.nonce);
            self.used = 0;
            // Past 2^32 blocks (256 GiB) carry into the nonce instead of repeating.
            self.counter = self.counter.wrapping_add(1);
            if self.counter == 0 {
                self.nonce[0] = self.nonce[0].wrapping_add(1);
            }
        }
        let word = self.buf.get(self.used).copied().unwrap_or_default();
        self.used += 1;
        word
    }

    /// Low word first.
    pub fn next_u64(&mut self) -> u64 {
        let lo = u64::from(self.next_u32());
        let hi = u64::from(self.next_u32());
        lo | (hi << 32)
    }

    /// Uniform in `0..n` (`n` > 0; 0 gives 0), without modulo bias: Lemire's
    /// multiply-shift with rejection.
    pub fn below(&mut self, n: u32) -> u32 {
        below_with(n, || self.next_u32())
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo + 1).min(i64::from(u32::MAX)) as u32;
        lo + i64::from(self.below(span))
    }

    /// True with probability `ppm` / 1 000 000.
    pub fn chance_ppm(&mut self, ppm: u32) -> bool {
        self.below(1_000_000) < ppm
    }

    /// A uniformly chosen element (None for an empty slice).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let n = u32::try_from(items.len()).unwrap_or(u32::MAX);
        items.get(self.below(n) as usize)
    }

    /// An index chosen with the given integer weights (0 when all weights are 0).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        if total == 0 {
            return 0;
        }
        let mut r = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// Lemire's unbiased bounded draw over any word source (shared with per-block readers).
pub fn below_with(n: u32, mut next: impl FnMut() -> u32) -> u32 {
    if n == 0 {
        return 0;
    }
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = u64::from(next()) * u64::from(n);
        if (m as u32) >= threshold {
            return (m >> 32) as u32;
        }
    }
}

/// Reads the words of one block in order and falls back to further blocks of the same
/// stream (indices `base + 2^40 * k`) in the vanishingly rare case that rejection
/// sampling consumes all sixteen.
pub struct BlockReader<'a> {
    stream: &'a Stream,
    index: u64,
    words: [u32; 16],
    used: usize,
    refills: u64,
}

impl<'a> BlockReader<'a> {
    pub fn new(stream: &'a Stream, index: u64) -> Self {
        Self {
            stream,
            index,
            words: stream.block_at(index),
            used: 0,
            refills: 0,
        }
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.used == self.words.len() {
            self.refills += 1;
            self.words = self
                .stream
                .block_at(self.index.wrapping_add(self.refills << 40));
            self.used = 0;
        }
        let word = self.words.get(self.used).copied().unwrap_or_default();
        self.used += 1;
        word
    }

    pub fn below(&mut self, n: u32) -> u32 {
        below_with(n, || self.next_u32())
    }

    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo + 1).min(i64::from(u32::MAX)) as u32;
        lo + i64::from(self.below(span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serialize(words: &[u32; 16]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    fn rfc_key() -> [u32; 8] {
        let bytes: [u8; 32] = std::array::from_fn(|i| i as u8);
        key_from_bytes(&bytes)
    }

    #[test]
    fn rfc8439_2_3_2_block_function() {
        let nonce = [0x0900_0000, 0x4a00_0000, 0];
        let out = block(&rfc_key(), 1, &nonce);
        assert_eq!(
            hex::encode(serialize(&out)),
            "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e\
             d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"
        );
    }

    #[test]
    fn rfc8439_2_4_2_encryption() {
        let plaintext = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let nonce = [0, 0x4a00_0000, 0];
        let mut keystream = Vec::new();
        for counter in 1..=2 {
            keystream.extend(serialize(&block(&rfc_key(), counter, &nonce)));
        }
        let cipher: Vec<u8> = plaintext
            .iter()
            .zip(keystream)
            .map(|(p, k)| p ^ k)
            .collect();
        assert_eq!(
            hex::encode(cipher),
            "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b\
             f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8\
             07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736\
             5af90bbf74a35be6b40b8eedf2785e42874d"
        );
    }

    #[test]
    fn rfc8439_a_1_zero_key() {
        let out = block(&[0; 8], 0, &[0; 3]);
        assert_eq!(
            hex::encode(serialize(&out)),
            "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7\
             da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"
        );
    }

    #[test]
    fn stream_reads_blocks_in_order() {
        let mut s = Stream::from_key([0; 8]);
        let first = block(&[0; 8], 0, &[0; 3]);
        let second = block(&[0; 8], 1, &[0; 3]);
        let got: Vec<u32> = (0..32).map(|_| s.next_u32()).collect();
        assert_eq!(&got[..16], &first);
        assert_eq!(&got[16..], &second);
        assert_eq!(s.block_at(1), second);
    }

    #[test]
    fn streams_are_independent_and_seeded() {
        let a: Vec<u32> = {
            let mut s = Stream::new(7, "terrain");
            (0..8).map(|_| s.next_u32()).collect()
        };
        let b: Vec<u32> = {
            let mut s = Stream::new(7, "pois");
            (0..8).map(|_| s.next_u32()).collect()
        };
        let c: Vec<u32> = {
            let mut s = Stream::new(8, "terrain");
            (0..8).map(|_| s.next_u32()).collect()
        };
        assert_ne!(a, b);
        assert_ne!(a, c);
        let again: Vec<u32> = {
            let mut s = Stream::new(7, "terrain");
            (0..8).map(|_| s.next_u32()).collect()
        };
        assert_eq!(a, again);
    }

    #[test]
    fn bounded_draws_stay_in_range_and_cover_it() {
        let mut s = Stream::new(1, "test");
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let v = s.below(7);
            assert!(v < 7);
            seen[v as usize] = true;
            let r = s.range(-3, 3);
            assert!((-3..=3).contains(&r));
        }
        assert!(seen.iter().all(|x| *x));
        assert_eq!(s.below(0), 0);
        assert_eq!(s.range(5, 5), 5);
        assert_eq!(s.weighted(&[0, 0]), 0);
        for _ in 0..100 {
            assert_eq!(s.weighted(&[0, 3, 0]), 1);
        }
    }
}
