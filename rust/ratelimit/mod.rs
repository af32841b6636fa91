//! In-memory rate limiting: GCRA (the generic cell rate algorithm), which is a token bucket
//! with continuous refill stored as a single number per key, the "theoretical arrival
//! time" (TAT).
//!
//! A budget of `limit` units per minute refills one unit every `T = 60 s / limit` and holds
//! at most `limit` units (the burst is the whole minute's budget). The state of a key is the
//! time at which its bucket will be full again; a key whose TAT is in the past is exactly
//! the same as a key never seen, so it is dropped.
//!
//! Times are integer nanoseconds. `T` is `60e9 / limit` rounded *up* to a whole nanosecond
//! and the bucket holds `limit * T`, so the burst is exactly `limit` and the refill is never
//! faster than the budget (it may lag the exact rate by less than 1 ns per unit).

#[cfg(feature = "python")]
pub(crate) mod py;

use parking_lot::Mutex;
use siphasher::sip128::SipHasher13;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
use std::time::Instant;

/// Nanoseconds in the one-minute window every budget is expressed in.
pub const NANOS_PER_MINUTE: i64 = 60_000_000_000;
/// The largest accepted budget (units per minute). Far above any real policy; keeps every
/// computation comfortably inside i64 and equal to the Redis script's arithmetic.
pub const MAX_LIMIT_PER_MINUTE: i64 = 1_000_000;
/// Default total number of keys held across all shards.
pub const DEFAULT_MAX_KEYS: usize = 1_000_000;
/// Default number of shards (independent locks).
pub const DEFAULT_SHARDS: usize = 64;
/// Upper bound on the shard count (more would only waste memory).
pub const MAX_SHARDS: usize = 65_536;
/// A shard at its cap evicts this fraction (1/N) of its entries in one batch.
const EVICTION_BATCH_DIVISOR: usize = 32;
/// A shard is swept after this many operations at least (small shards are cheap to sweep,
/// but sweeping on every call would be wasteful).
const MIN_OPS_BETWEEN_SWEEPS: usize = 64;
/// Times are clamped to +-2^62 ns (about 146 years) so that no sum can overflow.
const TIME_BOUND_NS: i64 = 1 << 62;

/// Why a decision could not be made (all caller errors: the limiter itself never fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateLimitError {
    /// `limit_per_minute` outside `1..=MAX_LIMIT_PER_MINUTE`.
    Limit(i64),
    /// `cost` below 1.
    Cost(i64),
    /// `cost` above the limit: such a request could never be admitted.
    CostAboveLimit { cost: i64, limit: i64 },
    /// `now` is NaN or infinite.
    Now,
    /// `max_keys` or `shards` below 1 (or too many shards).
    Config(&'static str),
}

impl fmt::Display for RateLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Limit(limit) => write!(
                f,
                "limit_per_minute must be between 1 and {MAX_LIMIT_PER_MINUTE}, got {limit}"
            ),
            Self::Cost(cost) => write!(f, "cost must be at least 1, got {cost}"),
            Self::CostAboveLimit { cost, limit } => write!(
                f,
                "cost {cost} exceeds limit_per_minute {limit}: it could never be admitted"
            ),
            Self::Now => write!(f, "now must be a finite number of seconds"),
            Self::Config(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for RateLimitError {}

/// The answer to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The request was admitted (and its cost spent). A refused request spends nothing.
    pub allowed: bool,
    /// The budget, units per minute.
    pub limit: i64,
    /// Whole units left after this decision (0..=limit).
    pub remaining: i64,
    /// Nanoseconds until a request of the same cost would be admitted: 0 when it would be
    /// admitted right now (`allowed` and `remaining >= cost`), otherwise > 0.
    pub retry_after_ns: i64,
    /// Nanoseconds until the bucket is full again (0 when it is full).
    pub reset_after_ns: i64,
}

/// The emission interval `T`: nanoseconds per unit, rounded up.
fn interval_ns(limit: i64) -> i64 {
    let limit = limit.max(1);
    NANOS_PER_MINUTE.saturating_add(limit - 1) / limit
}

/// Checks a decision's arguments.
pub fn validate(limit: i64, cost: i64) -> Result<(), RateLimitError> {
    if !(1..=MAX_LIMIT_PER_MINUTE).contains(&limit) {
        return Err(RateLimitError::Limit(limit));
    }
    if cost < 1 {
        return Err(RateLimitError::Cost(cost));
    }
    if cost > limit {
        return Err(RateLimitError::CostAboveLimit { cost, limit });
    }
    Ok(())
}

/// One GCRA step. `tat` is the key's stored theoretical arrival time (None: never seen or
/// full). Returns the decision and the TAT to store when the request was admitted.
///
/// The arguments must have passed [`validate`]; the arithmetic saturates anyway so that no
/// input can panic.
pub fn gcra(tat: Option<i64>, now: i64, limit: i64, cost: i64) -> (Decision, Option<i64>) {
    let t = interval_ns(limit);
    // The bucket's capacity expressed in time: `limit` units of `T`.
    let window = limit.saturating_mul(t);
    let base = tat.map_or(now, |tat| tat.max(now));
    let debt = base.saturating_sub(now);
    let new_tat = base.saturating_add(cost.saturating_mul(t));
    let new_debt = new_tat.saturating_sub(now);
    if new_debt <= window {
        let remaining = (window.saturating_sub(new_debt) / t).clamp(0, limit);
        let retry_after_ns = if remaining >= cost {
            0
        } else {
            new_debt
                .saturating_add(cost.saturating_mul(t))
                .saturating_sub(window)
                .max(1)
        };
        let decision = Decision {
            allowed: true,
            limit,
            remaining,
            retry_after_ns,
            reset_after_ns: new_debt,
        };
        (decision, Some(new_tat))
    } else {
        // After a limit decrease the debt may exceed the new window: clamp, never negative.
        let remaining = (window.saturating_sub(debt) / t).clamp(0, limit);
        let decision = Decision {
            allowed: false,
            limit,
            remaining,
            retry_after_ns: new_debt.saturating_sub(window).max(1),
            reset_after_ns: debt,
        };
        (decision, None)
    }
}

/// Converts seconds (any monotonic scale) to clamped integer nanoseconds.
pub fn seconds_to_ns(seconds: f64) -> Result<i64, RateLimitError> {
    if !seconds.is_finite() {
        return Err(RateLimitError::Now);
    }
    let ns = (seconds * 1e9).round();
    // `as` saturates; the clamp keeps sums far from i64's edges.
    Ok((ns as i64).clamp(-TIME_BOUND_NS, TIME_BOUND_NS))
}

/// A key's identity: a 128-bit keyed hash of its text (SipHash-1-3 under a random key per
/// limiter): entries need no allocation, and an attacker who does not know the key cannot
/// make two keys share a bucket.
#[derive(Clone, Copy, PartialEq, Eq)]
struct KeyId(u64, u64);

impl Hash for KeyId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Already uniformly random: the map uses it as is (see IdHasher).
        state.write_u64(self.0);
    }
}

/// A hasher for values that are already random 64-bit numbers.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by KeyId; a simple mix keeps the hasher correct for anything else.
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type TatMap = HashMap<KeyId, i64, BuildHasherDefault<IdHasher>>;

struct Shard {
    tats: TatMap,
    cap: usize,
    ops_since_sweep: usize,
}

impl Shard {
    fn new(cap: usize) -> Self {
        Self {
            tats: TatMap::default(),
            cap,
            ops_since_sweep: 0,
        }
    }

    /// Drops every full bucket (TAT not after `now`); returns how many.
    fn sweep(&mut self, now: i64) -> usize {
        let before = self.tats.len();
        self.tats.retain(|_, tat| *tat > now);
        self.ops_since_sweep = 0;
        before - self.tats.len()
    }

    /// Makes room for one more entry: sweeps, and if the shard is still at its cap, evicts
    /// the entries closest to full so that a batch of new keys fits before the next scan.
    ///
    /// Worst-case over-admission: an evicted key is forgiven its debt (it may spend again
    /// what it spent within its refill window). Only the entries with the least debt go,
    /// never one with more debt than an entry kept; under a flood of one-request keys an
    /// evicted key had at most one flood unit of its budget in use, so the extra admission
    /// is that fraction of one key's budget, once per eviction.
    fn make_room(&mut self, now: i64) {
        self.sweep(now);
        let len = self.tats.len();
        if len < self.cap {
            return;
        }
        let batch = (self.cap / EVICTION_BATCH_DIVISOR).max(1);
        let keep = self.cap.saturating_sub(batch);
        let evict = len.saturating_sub(keep);
        if evict == 0 {
            return;
        }
        let mut tats: Vec<i64> = self.tats.values().copied().collect();
        let (smaller, threshold, _) = tats.select_nth_unstable(evict - 1);
        let threshold = *threshold;
        // Entries below the threshold all go; ties at the threshold go until `evict` is met.
        let below = smaller.iter().filter(|tat| **tat < threshold).count();
        let mut ties_to_evict = evict - below;
        self.tats.retain(|_, tat| {
            if *tat < threshold {
                false
            } else if *tat == threshold && ties_to_evict > 0 {
                ties_to_evict -= 1;
                false
            } else {
                true
            }
        });
    }

    fn decide(&mut self, id: KeyId, now: i64, limit: i64, cost: i64) -> Decision {
        self.ops_since_sweep += 1;
        if self.ops_since_sweep >= self.tats.len().max(MIN_OPS_BETWEEN_SWEEPS) {
            self.sweep(now);
        }
        if let Some(slot) = self.tats.get_mut(&id) {
            let (decision, new_tat) = gcra(Some(*slot), now, limit, cost);
            if let Some(new_tat) = new_tat {
                *slot = new_tat;
            }
            return decision;
        }
        let (decision, new_tat) = gcra(None, now, limit, cost);
        if let Some(new_tat) = new_tat {
            if self.tats.len() >= self.cap {
                self.make_room(now);
            }
            self.tats.insert(id, new_tat);
        }
        decision
    }
}

/// A SipHash-1-3 under a random 128-bit key: two outputs of std's `RandomState`, which is
/// itself keyed from the operating system's random source.
fn random_key_hasher() -> SipHasher13 {
    let state = RandomState::new();
    SipHasher13::new_with_keys(state.hash_one(0u8), state.hash_one(1u8))
}

/// Keeps shards on separate cache lines.
#[repr(align(64))]
struct PaddedShard(Mutex<Shard>);

/// A thread-safe in-memory GCRA limiter with bounded memory: keys are sharded, each shard
/// holds at most its share of `max_keys`. Full buckets are swept opportunistically (after as
/// many operations as a shard holds entries) and whenever a shard is at its cap; one still
/// at its cap then evicts its least-indebted 1/32 in one batch, so a flood of distinct keys
/// costs O(1) amortized per key.
pub struct MemoryLimiter {
    shards: Box<[PaddedShard]>,
    key_hasher: SipHasher13,
    epoch: Instant,
    max_keys: usize,
}

impl MemoryLimiter {
    /// A limiter holding at most `max_keys` keys over `shards` shards (fewer shards when
    /// `max_keys` is smaller than `shards`, so every shard can hold at least one key).
    pub fn new(max_keys: usize, shards: usize) -> Result<Self, RateLimitError> {
        if max_keys < 1 {
            return Err(RateLimitError::Config("max_keys must be at least 1"));
        }
        if !(1..=MAX_SHARDS).contains(&shards) {
            return Err(RateLimitError::Config("shards must be between 1 and 65536"));
        }
        let count = shards.min(max_keys);
        let (share, extra) = (max_keys / count, max_keys % count);
        let shards = (0..count)
            .map(|i| PaddedShard(Mutex::new(Shard::new(share + usize::from(i < extra)))))
            .collect();
        Ok(Self {
            shards,
            key_hasher: random_key_hasher(),
            epoch: Instant::now(),
            max_keys,
        })
    }

    /// The configured cap on keys.
    pub fn max_keys(&self) -> usize {
        self.max_keys
    }

    /// The number of shards actually used.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// Nanoseconds on the limiter's own monotonic clock (zero when it was created).
    pub fn clock_ns(&self) -> i64 {
        i64::try_from(self.epoch.elapsed().as_nanos())
            .unwrap_or(TIME_BOUND_NS)
            .min(TIME_BOUND_NS)
    }

    fn key_id(&self, key: &str) -> KeyId {
        let (a, b) = self.key_hasher.hash(key.as_bytes()).as_u64();
        KeyId(a, b)
    }

    fn shard_for(&self, id: KeyId) -> Option<&PaddedShard> {
        // Multiply-shift maps the second hash uniformly onto the shards without a division;
        // the first hash, independent of it, indexes inside the shard.
        let index = (u128::from(id.1) * self.shards.len() as u128) >> 64;
        self.shards.get(usize::try_from(index).unwrap_or(0))
    }

    /// Decides one request of `cost` units against `limit` units per minute for `key`, at
    /// `now_ns` (nanoseconds on the caller's monotonic scale; use [`Self::clock_ns`] for
    /// the limiter's own clock, and do not mix scales on one limiter).
    pub fn decide_at(
        &self,
        key: &str,
        limit: i64,
        cost: i64,
        now_ns: i64,
    ) -> Result<Decision, RateLimitError> {
        validate(limit, cost)?;
        let now = now_ns.clamp(-TIME_BOUND_NS, TIME_BOUND_NS);
        let id = self.key_id(key);
        match self.shard_for(id) {
            Some(shard) => Ok(shard.0.lock().decide(id, now, limit, cost)),
            // Unreachable (the index is always in range); answering from a fresh bucket
            // keeps the call total rather than panicking.
            None => Ok(gcra(None, now, limit, cost).0),
        }
    }

    /// [`Self::decide_at`] on the limiter's own clock.
    pub fn decide(&self, key: &str, limit: i64, cost: i64) -> Result<Decision, RateLimitError> {
        self.decide_at(key, limit, cost, self.clock_ns())
    }

    /// Number of stored buckets (it may include buckets that have refilled since the last
    /// sweep; those behave exactly like absent keys).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.0.lock().tats.len()).sum()
    }

    /// True when no bucket is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every full bucket at `now_ns`; returns how many.
    pub fn sweep_at(&self, now_ns: i64) -> usize {
        let now = now_ns.clamp(-TIME_BOUND_NS, TIME_BOUND_NS);
        self.shards.iter().map(|s| s.0.lock().sweep(now)).sum()
    }

    /// [`Self::sweep_at`] on the limiter's own clock.
    pub fn sweep(&self) -> usize {
        self.sweep_at(self.clock_ns())
    }
}

#[cfg(test)]
mod tests;
