//! The upgrade-request parser on arbitrary bytes: never panics, refuses with 400/405/426.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacai_core::ws::parse_upgrade_request;

fuzz_target!(|data: &[u8]| {
    if let Err(err) = parse_upgrade_request(data) {
        assert!(matches!(err.status, 400 | 405 | 426));
    }
});
