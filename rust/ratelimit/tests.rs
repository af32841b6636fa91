use super::*;

const SEC: i64 = 1_000_000_000;

fn limiter() -> MemoryLimiter {
    MemoryLimiter::new(DEFAULT_MAX_KEYS, DEFAULT_SHARDS).unwrap()
}

/// A small deterministic generator (xorshift64*) for keys and times.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn burst_is_the_whole_budget_then_refused() {
    let rl = limiter();
    let now = 1000 * SEC;
    for expected_remaining in (0..5).rev() {
        let d = rl.decide_at("k", 5, 1, now).unwrap();
        assert!(d.allowed);
        assert_eq!(d.limit, 5);
        assert_eq!(d.remaining, expected_remaining);
    }
    let d = rl.decide_at("k", 5, 1, now).unwrap();
    assert!(!d.allowed);
    assert_eq!(d.remaining, 0);
    // One unit every 12 s; the bucket is full again after 60 s.
    assert_eq!(d.retry_after_ns, 12 * SEC);
    assert_eq!(d.reset_after_ns, 60 * SEC);
}

#[test]
fn allowed_decision_fields() {
    let rl = limiter();
    let d = rl.decide_at("k", 30, 1, 0).unwrap();
    assert_eq!(
        d,
        Decision {
            allowed: true,
            limit: 30,
            remaining: 29,
            retry_after_ns: 0,
            reset_after_ns: 2 * SEC,
        }
    );
}

#[test]
fn last_unit_reports_when_the_next_one_comes() {
    let rl = limiter();
    for _ in 0..4 {
        rl.decide_at("k", 5, 1, 0).unwrap();
    }
    let d = rl.decide_at("k", 5, 1, 0).unwrap();
    assert!(d.allowed);
    assert_eq!(d.remaining, 0);
    assert_eq!(d.retry_after_ns, 12 * SEC);
}

#[test]
fn refill_is_exact_to_the_nanosecond() {
    let rl = limiter();
    for _ in 0..30 {
        assert!(rl.decide_at("k", 30, 1, 0).unwrap().allowed);
    }
    // One unit every 2 s.
    assert!(!rl.decide_at("k", 30, 1, 2 * SEC - 1).unwrap().allowed);
    assert!(rl.decide_at("k", 30, 1, 2 * SEC).unwrap().allowed);
    assert!(!rl.decide_at("k", 30, 1, 2 * SEC).unwrap().allowed);
    // Ten seconds later, exactly five more units.
    let t = 12 * SEC;
    let admitted = (0..10)
        .filter(|_| rl.decide_at("k", 30, 1, t).unwrap().allowed)
        .count();
    assert_eq!(admitted, 5);
}

#[test]
fn interval_rounds_up_but_burst_stays_exact() {
    // 60 s / 7 is not a whole number of nanoseconds.
    let t = interval_ns(7);
    assert_eq!(t, 8_571_428_572);
    let rl = limiter();
    let admitted = (0..20)
        .filter(|_| rl.decide_at("k", 7, 1, 0).unwrap().allowed)
        .count();
    assert_eq!(admitted, 7);
    assert!(!rl.decide_at("k", 7, 1, t - 1).unwrap().allowed);
    assert!(rl.decide_at("k", 7, 1, t).unwrap().allowed);
}

#[test]
fn retry_after_is_exact() {
    let rl = limiter();
    let start = 5 * SEC;
    for _ in 0..10 {
        rl.decide_at("k", 10, 1, start).unwrap();
    }
    let later = start + 1_234_567_890;
    let d = rl.decide_at("k", 10, 1, later).unwrap();
    assert!(!d.allowed);
    assert_eq!(d.retry_after_ns, 6 * SEC - 1_234_567_890);
    assert!(
        !rl.decide_at("k", 10, 1, later + d.retry_after_ns - 1)
            .unwrap()
            .allowed
    );
    assert!(
        rl.decide_at("k", 10, 1, later + d.retry_after_ns)
            .unwrap()
            .allowed
    );
}

#[test]
fn cost_above_one() {
    let rl = limiter();
    for expected in [7, 4, 1] {
        let d = rl.decide_at("k", 10, 3, 0).unwrap();
        assert!(d.allowed);
        assert_eq!(d.remaining, expected);
    }
    // One unit left, three needed: two more units, 6 s each.
    let d = rl.decide_at("k", 10, 3, 0).unwrap();
    assert!(!d.allowed);
    assert_eq!(d.remaining, 1);
    assert_eq!(d.retry_after_ns, 12 * SEC);
    // A single unit still fits.
    assert!(rl.decide_at("k", 10, 1, 0).unwrap().allowed);
}

#[test]
fn allowed_with_too_few_left_for_the_same_cost_reports_retry_after() {
    let rl = limiter();
    let d = rl.decide_at("k", 5, 3, 0).unwrap();
    assert!(d.allowed);
    assert_eq!(d.remaining, 2);
    assert_eq!(d.retry_after_ns, 12 * SEC);
}

#[test]
fn refused_spends_nothing() {
    let rl = limiter();
    for _ in 0..5 {
        rl.decide_at("k", 5, 1, 0).unwrap();
    }
    for i in 0..1000 {
        assert!(!rl.decide_at("k", 5, 1, i * 1000).unwrap().allowed);
    }
    // Had any refusal spent, the unit due at 12 s would not be there.
    assert!(rl.decide_at("k", 5, 1, 12 * SEC).unwrap().allowed);
}

#[test]
fn upgrade_applies_at_once() {
    let rl = limiter();
    for _ in 0..5 {
        rl.decide_at("user", 5, 1, 0).unwrap();
    }
    assert!(!rl.decide_at("user", 5, 1, 0).unwrap().allowed);
    // The same 60 s of debt under 30/min: one unit every 2 s.
    let d = rl.decide_at("user", 30, 1, 0).unwrap();
    assert!(!d.allowed);
    assert_eq!(d.limit, 30);
    assert_eq!(d.remaining, 0);
    assert_eq!(d.retry_after_ns, 2 * SEC);
    assert!(rl.decide_at("user", 30, 1, 2 * SEC).unwrap().allowed);
}

#[test]
fn downgrade_never_reports_negative_remaining() {
    let rl = limiter();
    // 7/min fills a window of 7 * ceil(60 s / 7), a few ns above 60 s.
    for _ in 0..7 {
        rl.decide_at("user", 7, 1, 0).unwrap();
    }
    let d = rl.decide_at("user", 5, 1, 0).unwrap();
    assert!(!d.allowed);
    assert_eq!(d.remaining, 0);
    assert!(d.retry_after_ns > 12 * SEC);
    // A partly used lifetime bucket keeps its time debt: 10 units of 100/min is 6 s,
    // i.e. half a unit of 5/min.
    for _ in 0..10 {
        rl.decide_at("life", 100, 1, 0).unwrap();
    }
    let d = rl.decide_at("life", 5, 1, 0).unwrap();
    assert!(d.allowed);
    assert_eq!(d.remaining, 3);
}

#[test]
fn invalid_arguments() {
    let rl = limiter();
    assert_eq!(rl.decide_at("k", 0, 1, 0), Err(RateLimitError::Limit(0)));
    assert_eq!(rl.decide_at("k", -3, 1, 0), Err(RateLimitError::Limit(-3)));
    assert_eq!(
        rl.decide_at("k", MAX_LIMIT_PER_MINUTE + 1, 1, 0),
        Err(RateLimitError::Limit(MAX_LIMIT_PER_MINUTE + 1))
    );
    assert_eq!(rl.decide_at("k", 5, 0, 0), Err(RateLimitError::Cost(0)));
    assert_eq!(rl.decide_at("k", 5, -1, 0), Err(RateLimitError::Cost(-1)));
    assert_eq!(
        rl.decide_at("k", 5, 6, 0),
        Err(RateLimitError::CostAboveLimit { cost: 6, limit: 5 })
    );
    assert!(rl.is_empty());
    assert!(seconds_to_ns(f64::NAN).is_err());
    assert!(seconds_to_ns(f64::INFINITY).is_err());
    assert_eq!(seconds_to_ns(1.5).unwrap(), 1_500_000_000);
    assert!(MemoryLimiter::new(0, 4).is_err());
    assert!(MemoryLimiter::new(10, 0).is_err());
    assert!(MemoryLimiter::new(10, MAX_SHARDS + 1).is_err());
}

#[test]
fn extreme_times_and_limits_do_not_panic() {
    let rl = limiter();
    for now in [i64::MIN, -1, 0, i64::MAX] {
        for limit in [1, 2, 7, MAX_LIMIT_PER_MINUTE] {
            for cost in [1, limit] {
                let d = rl.decide_at("k", limit, cost, now).unwrap();
                assert!((0..=limit).contains(&d.remaining));
                assert!(d.retry_after_ns >= 0 && d.reset_after_ns >= 0);
            }
        }
    }
    // Time going backwards only makes the bucket look emptier; it never over-admits.
    let rl = limiter();
    for _ in 0..5 {
        rl.decide_at("k", 5, 1, 100 * SEC).unwrap();
    }
    assert!(!rl.decide_at("k", 5, 1, 50 * SEC).unwrap().allowed);
    assert_eq!(seconds_to_ns(1e300).unwrap(), TIME_BOUND_NS);
    assert_eq!(seconds_to_ns(-1e300).unwrap(), -TIME_BOUND_NS);
}

#[test]
fn full_buckets_are_swept() {
    let rl = limiter();
    for i in 0..100 {
        rl.decide_at(&format!("k{i}"), 60, 1, 0).unwrap();
    }
    // One unit of 60/min refills in one second.
    assert_eq!(rl.len(), 100);
    assert_eq!(rl.sweep_at(SEC - 1), 0);
    assert_eq!(rl.sweep_at(SEC), 100);
    assert!(rl.is_empty());
}

#[test]
fn sweeping_happens_inside_calls() {
    let rl = MemoryLimiter::new(DEFAULT_MAX_KEYS, 1).unwrap();
    for i in 0..1000 {
        rl.decide_at(&format!("k{i}"), 60, 1, 0).unwrap();
    }
    assert_eq!(rl.len(), 1000);
    // Once the first thousand are full, hammering one key triggers a sweep.
    for _ in 0..1000 {
        rl.decide_at("hot", 1_000_000, 1, 10 * SEC).unwrap();
    }
    assert_eq!(rl.len(), 1);
}

#[test]
fn a_million_distinct_keys_stay_under_the_cap() {
    let cap = 10_000;
    let rl = MemoryLimiter::new(cap, 16).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..1_000_000_i64 {
        let ip = rng.next() as u32;
        let key = format!(
            "{}.{}.{}.{}",
            ip >> 24,
            (ip >> 16) & 255,
            (ip >> 8) & 255,
            ip & 255
        );
        // 1 ms apart: nothing refills to full within the run.
        let d = rl.decide_at(&key, 5, 1, i * 1_000_000).unwrap();
        assert!(d.allowed);
        if i % 1000 == 0 {
            assert!(rl.shards.iter().all(|s| {
                let shard = s.0.lock();
                shard.tats.len() <= shard.cap
            }));
        }
    }
    assert!(rl.len() <= cap);
    assert!(rl.len() >= cap - cap / EVICTION_BATCH_DIVISOR - 16);
}

#[test]
fn cap_counts_every_shard() {
    let rl = MemoryLimiter::new(10, 64).unwrap();
    assert_eq!(rl.shard_count(), 10);
    let rl = MemoryLimiter::new(1000, 64).unwrap();
    let total: usize = rl.shards.iter().map(|s| s.0.lock().cap).sum();
    assert_eq!(total, 1000);
    for i in 0..5000 {
        rl.decide_at(&format!("k{i}"), 5, 1, 0).unwrap();
    }
    assert!(rl.len() <= 1000);
}

#[test]
fn eviction_spares_the_most_indebted_keys() {
    let rl = MemoryLimiter::new(64, 1).unwrap();
    // A key that spent its whole 5/min budget: 60 s of debt.
    for _ in 0..5 {
        rl.decide_at("abuser", 5, 1, 0).unwrap();
    }
    // A flood of one-request keys on a 60/min budget (1 s of debt each) within 0.5 s.
    for i in 0..10_000_i64 {
        rl.decide_at(&format!("flood{i}"), 60, 1, i * 50_000)
            .unwrap();
    }
    assert!(rl.len() <= 64);
    let d = rl.decide_at("abuser", 5, 1, SEC).unwrap();
    assert!(!d.allowed, "the exhausted key must not have been forgiven");
}

#[test]
fn evicted_keys_are_the_closest_to_full() {
    let rl = MemoryLimiter::new(32, 1).unwrap();
    // 32 keys with 1..=32 units of debt on a 60/min budget.
    for i in 0..32 {
        for _ in 0..=i {
            rl.decide_at(&format!("k{i}"), 60, 1, 0).unwrap();
        }
    }
    // Room for one more: exactly one (the least indebted, k0) goes.
    rl.decide_at("new", 60, 1, 0).unwrap();
    assert_eq!(rl.len(), 32);
    let d = rl.decide_at("k0", 60, 1, 0).unwrap();
    assert_eq!(d.remaining, 59, "k0 was evicted and starts full");
    let d = rl.decide_at("k31", 60, 1, 0).unwrap();
    assert_eq!(d.remaining, 60 - 33, "k31 kept its debt");
}

#[test]
fn threads_hammering_one_key_admit_exactly_the_budget() {
    let rl = std::sync::Arc::new(limiter());
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let rl = rl.clone();
            std::thread::spawn(move || {
                (0..10_000)
                    .filter(|_| rl.decide_at("shared", 1000, 1, 0).unwrap().allowed)
                    .count()
            })
        })
        .collect();
    let admitted: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(admitted, 1000);
}

#[test]
fn own_clock_moves_forward() {
    let rl = limiter();
    let a = rl.clock_ns();
    let d = rl.decide("k", 5, 1).unwrap();
    assert!(d.allowed);
    assert!(rl.clock_ns() >= a);
    assert_eq!(rl.sweep(), 0);
}

#[test]
fn errors_read_well() {
    assert_eq!(
        RateLimitError::CostAboveLimit { cost: 6, limit: 5 }.to_string(),
        "cost 6 exceeds limit_per_minute 5: it could never be admitted"
    );
    assert_eq!(
        RateLimitError::Limit(0).to_string(),
        "limit_per_minute must be between 1 and 1000000, got 0"
    );
}
