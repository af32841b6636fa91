//! pacai's Rust core. Every subsystem keeps its pure logic free of PyO3 types (`mod.rs`);
//! the bindings live beside it (`py.rs`) and are compiled only with the `python` feature,
//! so `cargo test` runs without an interpreter.

pub mod build_info;
pub mod canonical;
pub mod export;
pub mod jwt;
pub mod ratelimit;
pub mod sign;
pub mod strict_json;
pub mod worldgen;
pub mod ws;

#[cfg(feature = "python")]
mod py;
