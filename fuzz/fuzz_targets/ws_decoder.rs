//! The WebSocket decoder on arbitrary bytes: never panics, and the outcome (frames and
//! error) does not depend on how the bytes are chunked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacai_core::ws::{Decoder, Frame};

fn decode(data: &[u8], chunk: usize, limit: u64) -> (Vec<Frame>, Option<u16>) {
    let mut decoder = Decoder::new(limit);
    let mut frames = Vec::new();
    for piece in data.chunks(chunk.max(1)) {
        if decoder.feed(piece, &mut frames).is_err() {
            break;
        }
    }
    (frames, decoder.error().map(|e| e.code))
}

fuzz_target!(|input: &[u8]| {
    let Some((&control, data)) = input.split_first() else {
        return;
    };
    // Small limits reach the 1009 paths; the top bits pick a chunk size.
    let limit = [0u64, 10, 1000, 65536][usize::from(control & 3)];
    let chunk = usize::from(control >> 2) + 1;
    let whole = decode(data, data.len(), limit);
    assert_eq!(whole, decode(data, chunk, limit));
    assert_eq!(whole, decode(data, 1, limit));
    if let Some(code) = whole.1 {
        assert!(matches!(code, 1002 | 1007 | 1009));
    }
});
