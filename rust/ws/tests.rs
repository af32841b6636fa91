//! Unit tests for the codec, grouped like the Autobahn testsuite sections. Every decoder
//! case runs three ways (one chunk, byte by byte, 7-byte chunks) and must agree.

use super::decoder::{close_code_and_reason, Decoder, Frame};
use super::encoder::{close_payload, encode_close, encode_frame, frame_header, EncodeError};
use super::handshake::{accept_key, parse_upgrade_request};
use super::opcode::{BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT};
use super::ProtocolError;

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const LIMIT: u64 = 65536;

/// A client frame: `b0` carries FIN, RSV and opcode as given.
fn raw_frame(b0: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![b0];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | n as u8),
        n @ 126..=0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        out.extend_from_slice(&MASK);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

fn frame(fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
    raw_frame(if fin { 0x80 | op } else { op }, payload, true)
}

fn text(s: &str) -> Vec<u8> {
    frame(true, TEXT, s.as_bytes())
}

fn close(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason);
    frame(true, CLOSE, &payload)
}

type Outcome = (Vec<Frame>, Option<ProtocolError>);

fn decode_chunked(stream: &[u8], chunk: usize, limit: u64) -> Outcome {
    let mut decoder = Decoder::new(limit);
    let mut frames = Vec::new();
    for piece in stream.chunks(chunk.max(1)) {
        if decoder.feed(piece, &mut frames).is_err() {
            break;
        }
    }
    (frames, decoder.error().cloned())
}

/// Decodes the stream in one chunk, byte by byte and in 7-byte chunks; all must agree.
fn decode_with(stream: &[u8], limit: u64) -> Outcome {
    let whole = decode_chunked(stream, stream.len(), limit);
    assert_eq!(
        whole,
        decode_chunked(stream, 1, limit),
        "byte by byte differs"
    );
    assert_eq!(
        whole,
        decode_chunked(stream, 7, limit),
        "7-byte chunks differ"
    );
    whole
}

fn decode(stream: &[u8]) -> Outcome {
    decode_with(stream, LIMIT)
}

fn ok(stream: &[u8]) -> Vec<Frame> {
    let (frames, err) = decode(stream);
    assert_eq!(err, None);
    frames
}

fn fails(stream: &[u8]) -> (Vec<Frame>, u16) {
    let (frames, err) = decode(stream);
    (frames, err.expect("the stream must be refused").code)
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

mod case1_framing {
    use super::*;

    #[test]
    fn text_and_binary_of_every_length_class() {
        for len in [0usize, 1, 125, 126, 127, 128, 65535, 65536] {
            let body = "*".repeat(len);
            assert_eq!(ok(&text(&body)), vec![Frame::Text(body.clone())]);
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            assert_eq!(
                ok(&frame(true, BINARY, &data)),
                vec![Frame::Binary(data.clone())]
            );
        }
    }

    #[test]
    fn non_minimal_length_encodings_are_accepted() {
        // 5 bytes announced with the 16-bit and the 64-bit length forms.
        let mut short16 = vec![0x81, 0x80 | 126, 0, 5];
        short16.extend_from_slice(&MASK);
        short16.extend(b"hello".iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        assert_eq!(ok(&short16), vec![Frame::Text("hello".into())]);
        let mut short64 = vec![0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 5];
        short64.extend_from_slice(&MASK);
        short64.extend(b"hello".iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        assert_eq!(ok(&short64), vec![Frame::Text("hello".into())]);
    }

    #[test]
    fn several_frames_in_one_chunk_come_out_in_order() {
        let stream = cat(&[text("a"), frame(true, BINARY, b"b"), text("c")]);
        assert_eq!(
            ok(&stream),
            vec![
                Frame::Text("a".into()),
                Frame::Binary(b"b".to_vec()),
                Frame::Text("c".into())
            ]
        );
    }

    #[test]
    fn an_all_zero_mask_and_every_mask_phase_decode() {
        let mut zero = vec![0x82, 0x80 | 3, 0, 0, 0, 0];
        zero.extend_from_slice(b"xyz");
        assert_eq!(ok(&zero), vec![Frame::Binary(b"xyz".to_vec())]);
        // Lengths around the 8-byte unmasking stride.
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i| i as u8 ^ 0x5a).collect();
            assert_eq!(ok(&frame(true, BINARY, &data)), vec![Frame::Binary(data)]);
        }
    }

    #[test]
    fn unmasked_client_frames_are_refused() {
        let (frames, code) = fails(&raw_frame(0x81, b"hello", false));
        assert_eq!((frames, code), (vec![], 1002));
        let (_, code) = fails(&raw_frame(0x89, b"", false));
        assert_eq!(code, 1002);
    }

    #[test]
    fn frames_before_a_violation_are_kept() {
        let stream = cat(&[text("first"), raw_frame(0x81, b"x", false)]);
        let (frames, code) = fails(&stream);
        assert_eq!(frames, vec![Frame::Text("first".into())]);
        assert_eq!(code, 1002);
    }

    #[test]
    fn an_error_is_sticky() {
        let mut decoder = Decoder::new(LIMIT);
        let mut frames = Vec::new();
        assert!(decoder
            .feed(&raw_frame(0x81, b"x", false), &mut frames)
            .is_err());
        assert_eq!(
            decoder
                .feed(&text("later"), &mut frames)
                .map_err(|e| e.code),
            Err(1002)
        );
        assert!(frames.is_empty());
    }
}

mod case2_pings {
    use super::*;

    #[test]
    fn pings_and_pongs_are_returned_with_their_payload() {
        assert_eq!(ok(&frame(true, PING, b"")), vec![Frame::Ping(vec![])]);
        let binary: Vec<u8> = (0..125).map(|i| 255 - i as u8).collect();
        assert_eq!(
            ok(&frame(true, PING, &binary)),
            vec![Frame::Ping(binary.clone())]
        );
        // Unsolicited pongs are frames like any other; the protocol ignores them.
        assert_eq!(
            ok(&frame(true, PONG, b"x")),
            vec![Frame::Pong(b"x".to_vec())]
        );
    }

    #[test]
    fn a_ping_of_126_bytes_is_refused() {
        let (frames, code) = fails(&frame(true, PING, &[b'p'; 126]));
        assert_eq!((frames, code), (vec![], 1002));
    }

    #[test]
    fn ten_pings_in_a_row() {
        let stream: Vec<u8> = (0..10).flat_map(|i| frame(true, PING, &[i])).collect();
        let frames = ok(&stream);
        assert_eq!(
            frames,
            (0..10).map(|i| Frame::Ping(vec![i])).collect::<Vec<_>>()
        );
    }
}

mod case3_reserved_bits {
    use super::*;

    #[test]
    fn every_reserved_bit_on_every_frame_type_is_refused() {
        for rsv in 1..8u8 {
            for op in [TEXT, BINARY, PING, PONG, CLOSE] {
                let stream = cat(&[
                    text("before"),
                    raw_frame(0x80 | (rsv << 4) | op, b"", true),
                    text("after"),
                ]);
                let (frames, code) = fails(&stream);
                assert_eq!(
                    frames,
                    vec![Frame::Text("before".into())],
                    "rsv {rsv} op {op}"
                );
                assert_eq!(code, 1002);
            }
        }
    }

    #[test]
    fn a_reserved_bit_on_a_continuation_is_refused() {
        let stream = cat(&[frame(false, TEXT, b"a"), raw_frame(0x80 | 0x40, b"b", true)]);
        assert_eq!(fails(&stream), (vec![], 1002));
    }
}

mod case4_opcodes {
    use super::*;

    #[test]
    fn reserved_opcodes_are_refused() {
        for op in (3..=7).chain(11..=15) {
            for payload in [&b""[..], b"reserved"] {
                let stream = cat(&[text("ok"), raw_frame(0x80 | op, payload, true), text("x")]);
                let (frames, code) = fails(&stream);
                assert_eq!(frames, vec![Frame::Text("ok".into())], "opcode {op}");
                assert_eq!(code, 1002);
            }
        }
    }
}

mod case5_fragmentation {
    use super::*;

    #[test]
    fn fragmented_control_frames_are_refused() {
        for op in [PING, PONG, CLOSE] {
            let stream = cat(&[
                frame(false, op, b"frag"),
                frame(true, CONTINUATION, b"ment"),
            ]);
            assert_eq!(fails(&stream), (vec![], 1002), "opcode {op}");
        }
    }

    #[test]
    fn text_and_binary_are_reassembled() {
        let stream = cat(&[
            frame(false, TEXT, b"frag"),
            frame(false, CONTINUATION, b""),
            frame(false, CONTINUATION, b"men"),
            frame(true, CONTINUATION, b"t"),
            frame(false, BINARY, &[1, 2]),
            frame(true, CONTINUATION, &[3]),
        ]);
        assert_eq!(
            ok(&stream),
            vec![Frame::Text("fragment".into()), Frame::Binary(vec![1, 2, 3])]
        );
    }

    #[test]
    fn control_frames_between_fragments_come_out_first() {
        let stream = cat(&[
            frame(false, TEXT, b"one "),
            frame(true, PING, b"p"),
            frame(false, CONTINUATION, b"two "),
            frame(true, PONG, b"q"),
            frame(true, CONTINUATION, b"three"),
        ]);
        assert_eq!(
            ok(&stream),
            vec![
                Frame::Ping(b"p".to_vec()),
                Frame::Pong(b"q".to_vec()),
                Frame::Text("one two three".into())
            ]
        );
    }

    #[test]
    fn a_continuation_without_a_message_is_refused() {
        for fin in [true, false] {
            let stream = cat(&[frame(fin, CONTINUATION, b"orphan"), text("x")]);
            assert_eq!(fails(&stream), (vec![], 1002));
        }
        // Also right after a message that was complete.
        let stream = cat(&[text("done"), frame(true, CONTINUATION, b"x")]);
        assert_eq!(fails(&stream), (vec![Frame::Text("done".into())], 1002));
    }

    #[test]
    fn a_new_data_frame_inside_a_fragmented_message_is_refused() {
        for op in [TEXT, BINARY] {
            let stream = cat(&[frame(false, TEXT, b"a"), frame(true, op, b"b")]);
            assert_eq!(fails(&stream), (vec![], 1002));
        }
    }

    #[test]
    fn many_one_byte_fragments() {
        let body = "fragmentation test";
        let mut parts = vec![frame(false, TEXT, &body.as_bytes()[..1])];
        for (i, b) in body.bytes().enumerate().skip(1) {
            parts.push(frame(i == body.len() - 1, CONTINUATION, &[b]));
        }
        assert_eq!(ok(&cat(&parts)), vec![Frame::Text(body.into())]);
    }
}

mod case6_utf8 {
    use super::*;

    const HELLO: &str = "Hello-µ@ßöäüàá-UTF-8!! κόσμε 𝄞 \u{FFFF} \u{FFFE} \u{10FFFF}";

    #[test]
    fn valid_text_split_at_every_byte_position() {
        let bytes = HELLO.as_bytes();
        assert_eq!(ok(&text(HELLO)), vec![Frame::Text(HELLO.into())]);
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            let stream = cat(&[frame(false, TEXT, a), frame(true, CONTINUATION, b)]);
            assert_eq!(ok(&stream), vec![Frame::Text(HELLO.into())], "cut at {cut}");
        }
    }

    /// Invalid sequences from Autobahn 6.3-6.21.
    const INVALID: &[&[u8]] = &[
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
        b"\x80",
        b"\xbf",
        b"\xc0\xaf",
        b"\xe0\x80\xaf",
        b"\xf0\x80\x80\xaf",
        b"\xf8\x88\x80\x80\xaf",
        b"\xfc\x84\x80\x80\x80\xaf",
        b"\xc1\xbf",
        b"\xed\xa0\x80",
        b"\xed\xbf\xbf",
        b"\xed\xa0\x80\xed\xb0\x80",
        b"\xf4\x90\x80\x80",
        b"\xfe",
        b"\xff",
        b"\xfe\xfe\xff\xff",
        b"\xc0",
        b"\xe0\x80",
        b"\xf0\x80\x80",
        b"\xdf",
        b"\xef\xbf",
        b"\xf7\xbf\xbf",
        b"a\xc2",
    ];

    #[test]
    fn invalid_text_is_refused_with_1007() {
        for bad in INVALID {
            let (frames, code) = fails(&cat(&[text("ok"), frame(true, TEXT, bad)]));
            assert_eq!(
                (frames, code),
                (vec![Frame::Text("ok".into())], 1007),
                "{bad:x?}"
            );
            // Split into two fragments at every position.
            for cut in 0..=bad.len() {
                let (a, b) = bad.split_at(cut);
                let stream = cat(&[frame(false, TEXT, a), frame(true, CONTINUATION, b)]);
                assert_eq!(fails(&stream), (vec![], 1007), "{bad:x?} cut at {cut}");
            }
        }
    }

    #[test]
    fn binary_messages_are_not_checked() {
        assert_eq!(
            ok(&frame(true, BINARY, b"\xff\xfe")),
            vec![Frame::Binary(b"\xff\xfe".to_vec())]
        );
    }

    #[test]
    fn a_bad_sequence_fails_as_soon_as_it_is_certain() {
        // The first fragment already holds an impossible sequence; no FIN ever comes.
        let mut decoder = Decoder::new(LIMIT);
        let mut frames = Vec::new();
        let first = frame(
            false,
            TEXT,
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90",
        );
        assert_eq!(
            decoder.feed(&first, &mut frames).map_err(|e| e.code),
            Err(1007)
        );

        // In a single unfinished frame: fails once the bad bytes arrive.
        let mut decoder = Decoder::new(LIMIT);
        let whole = frame(true, TEXT, b"abc\xed\xa0\x80 and much more text after it");
        let header_and_bad = 6 + 5;
        let (head, _) = whole.split_at(header_and_bad);
        assert_eq!(
            decoder.feed(head, &mut frames).map_err(|e| e.code),
            Err(1007)
        );

        // A sequence cut at the end of a chunk is not an error yet.
        let mut decoder = Decoder::new(LIMIT);
        let fine = frame(true, TEXT, "abc𝄞".as_bytes());
        let (fine_head, fine_tail) = fine.split_at(6 + 5);
        assert!(decoder.feed(fine_head, &mut frames).is_ok());
        assert!(decoder.feed(fine_tail, &mut frames).is_ok());
        assert_eq!(frames, vec![Frame::Text("abc𝄞".into())]);
    }
}

mod case7_close {
    use super::*;

    #[test]
    fn empty_close_and_close_with_code_and_reason() {
        assert_eq!(ok(&frame(true, CLOSE, b"")), vec![Frame::Close(vec![])]);
        let frames = ok(&close(1000, b"bye"));
        let [Frame::Close(payload)] = frames.as_slice() else {
            panic!("one close frame expected")
        };
        assert_eq!(close_code_and_reason(payload), (1000, "bye"));
        assert_eq!(close_code_and_reason(b""), (1005, ""));
    }

    #[test]
    fn the_longest_reason_is_accepted() {
        let reason = vec![b'r'; 123];
        assert_eq!(ok(&close(1000, &reason)).len(), 1);
        let (frames, code) = fails(&close(1000, &[b'r'; 124]));
        assert_eq!((frames, code), (vec![], 1002));
    }

    #[test]
    fn a_one_byte_close_payload_is_refused() {
        assert_eq!(fails(&frame(true, CLOSE, b"\x03")), (vec![], 1002));
    }

    #[test]
    fn valid_close_codes() {
        for code in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
            4000, 4999,
        ] {
            assert_eq!(ok(&close(code, b"")).len(), 1, "code {code}");
        }
    }

    #[test]
    fn invalid_close_codes() {
        for code in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert_eq!(fails(&close(code, b"")), (vec![], 1002), "code {code}");
        }
    }

    #[test]
    fn a_close_reason_that_is_not_utf8_is_refused_with_1007() {
        assert_eq!(fails(&close(1000, b"\xce\xba\xed\xa0\x80")), (vec![], 1007));
    }

    #[test]
    fn bytes_after_close_are_ignored() {
        let stream = cat(&[
            close(1000, b""),
            frame(true, PING, b"late"),
            text("late"),
            raw_frame(0xF1, b"garbage", false),
        ]);
        assert_eq!(ok(&stream).len(), 1);
    }

    #[test]
    fn close_inside_a_fragmented_message() {
        let stream = cat(&[frame(false, TEXT, b"half"), close(1000, b"")]);
        let frames = ok(&stream);
        assert!(matches!(frames.as_slice(), [Frame::Close(_)]));
    }
}

mod case9_limits {
    use super::*;

    #[test]
    fn a_message_of_exactly_the_limit_passes_one_more_byte_fails() {
        let limit = 1000;
        let exact = vec![7u8; 1000];
        assert_eq!(
            decode_with(&frame(true, BINARY, &exact), limit),
            (vec![Frame::Binary(exact)], None)
        );
        let (frames, err) = decode_with(&frame(true, BINARY, &[7u8; 1001]), limit);
        assert_eq!((frames, err.map(|e| e.code)), (vec![], Some(1009)));
    }

    #[test]
    fn the_limit_counts_across_fragments_and_fails_at_the_header() {
        let limit = 100;
        let stream = cat(&[
            frame(false, TEXT, &[b'a'; 60]),
            frame(true, CONTINUATION, &[b'a'; 41]),
        ]);
        let (frames, err) = decode_with(&stream, limit);
        assert_eq!((frames, err.map(|e| e.code)), (vec![], Some(1009)));
        // Only the header of the second frame is needed to know.
        let mut decoder = Decoder::new(limit);
        let mut frames = Vec::new();
        let first = frame(false, TEXT, &[b'a'; 60]);
        let second = frame(true, CONTINUATION, &[b'a'; 41]);
        decoder.feed(&first, &mut frames).unwrap();
        let result = decoder.feed(&second[..8], &mut frames);
        assert_eq!(result.map_err(|e| e.code), Err(1009));
    }

    #[test]
    fn a_huge_declared_length_allocates_nothing() {
        let mut header = vec![0x82, 0x80 | 127];
        header.extend_from_slice(&(1u64 << 62).to_be_bytes());
        header.extend_from_slice(&MASK);
        // Refused from the header with the default limit...
        let mut decoder = Decoder::new(LIMIT);
        let mut frames = Vec::new();
        assert_eq!(
            decoder.feed(&header, &mut frames).map_err(|e| e.code),
            Err(1009)
        );
        // ...and with no limit, only the bytes that arrived are held.
        let mut decoder = Decoder::new(u64::MAX);
        decoder.feed(&header, &mut frames).unwrap();
        decoder.feed(&[0u8; 1000], &mut frames).unwrap();
        assert!(frames.is_empty());
        assert_eq!(decoder.buffered(), 1000);
    }

    #[test]
    fn a_length_with_the_high_bit_set_is_a_protocol_error() {
        let mut header = vec![0x82, 0x80 | 127];
        header.extend_from_slice(&(1u64 << 63).to_be_bytes());
        header.extend_from_slice(&MASK);
        let (frames, err) = decode_with(&header, u64::MAX);
        assert_eq!((frames, err.map(|e| e.code)), (vec![], Some(1002)));
    }

    #[test]
    fn control_frames_do_not_count_toward_the_limit() {
        let stream = cat(&[frame(true, PING, &[0; 125]), frame(true, BINARY, &[1; 10])]);
        let (frames, err) = decode_with(&stream, 10);
        assert_eq!(err, None);
        assert_eq!(frames.len(), 2);
    }
}

mod encoder {
    use super::*;

    #[test]
    fn header_sizes() {
        assert_eq!(
            frame_header(TEXT, true, 0),
            ([0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0], 2)
        );
        assert_eq!(frame_header(BINARY, true, 125).1, 2);
        assert_eq!(
            frame_header(BINARY, true, 126),
            ([0x82, 126, 0, 126, 0, 0, 0, 0, 0, 0], 4)
        );
        assert_eq!(
            frame_header(BINARY, false, 65535).0[..4],
            [0x02, 126, 0xff, 0xff]
        );
        assert_eq!(
            frame_header(BINARY, true, 65536),
            ([0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0], 10)
        );
    }

    #[test]
    fn server_frames_are_unmasked() {
        assert_eq!(
            encode_frame(TEXT, b"Hello", true).unwrap(),
            b"\x81\x05Hello"
        );
        assert_eq!(encode_frame(PING, b"", true).unwrap(), b"\x89\x00");
        assert_eq!(encode_frame(TEXT, b"Hel", false).unwrap(), b"\x01\x03Hel");
    }

    #[test]
    fn frames_that_cannot_be_sent() {
        assert_eq!(
            encode_frame(3, b"", true),
            Err(EncodeError::UnknownOpcode(3))
        );
        assert_eq!(
            encode_frame(PING, &[0; 126], true),
            Err(EncodeError::ControlPayloadTooLong(126))
        );
        assert_eq!(
            encode_frame(PONG, b"", false),
            Err(EncodeError::FragmentedControl)
        );
        for code in [0, 999, 1004, 1005, 1006, 1015, 2000, 5000] {
            assert_eq!(
                encode_close(code, ""),
                Err(EncodeError::InvalidCloseCode(code))
            );
        }
    }

    #[test]
    fn close_reasons_are_cut_at_a_character_boundary() {
        assert_eq!(encode_close(1000, "").unwrap(), b"\x88\x02\x03\xe8");
        let long = "é".repeat(100); // 200 bytes
        let payload = close_payload(1001, &long).unwrap();
        assert_eq!(payload.len(), 2 + 122);
        assert!(std::str::from_utf8(&payload[2..]).is_ok());
    }

    /// What a server sends, masked as a client would, decodes back to the same messages.
    #[test]
    fn round_trip_through_the_decoder() {
        for len in [0usize, 5, 125, 126, 70000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let server = encode_frame(BINARY, &data, true).unwrap();
            let (header_len, payload_len) = match server[1] {
                126 => (4, len),
                127 => (10, len),
                n => (2, n as usize),
            };
            let mut client = server[..header_len].to_vec();
            client[1] |= 0x80;
            client.extend_from_slice(&MASK);
            client.extend(
                server[header_len..header_len + payload_len]
                    .iter()
                    .enumerate()
                    .map(|(i, b)| b ^ MASK[i % 4]),
            );
            assert_eq!(
                decode_with(&client, 1 << 20),
                (vec![Frame::Binary(data)], None)
            );
        }
    }
}

mod handshake {
    use super::*;

    fn request(extra: &str) -> String {
        format!("GET /v5/ws?x=1 HTTP/1.1\r\nHost: example.com\r\n{extra}\r\n",)
    }

    const GOOD: &str = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    #[test]
    fn the_rfc_example_key() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ==").unwrap(),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn keys_that_are_not_16_bytes_of_base64() {
        for key in [
            "",
            "dGhlIHNhbXBsZSBub25jZQ",
            "dGhlIHNhbXBsZSBub25jZQ=",
            "dGhlIHNhbXBsZSBub25jZQ==x",
            "dGhlIHNhbXBsZSBub25j",
            "dGhlIHNhbXBsZSBub25jZSBy",
            "dGhlIHNhbXBsZSBub25jZ!==",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(accept_key(key).map_err(|e| e.status), Err(400), "{key:?}");
        }
    }

    #[test]
    fn a_valid_request() {
        let head = request(&format!(
            "{GOOD}Sec-WebSocket-Protocol: pacai.v5, chat\r\nX-A: b\r\n"
        ));
        let req = parse_upgrade_request(head.as_bytes()).unwrap();
        assert_eq!(req.method, "GET");
        assert_eq!(req.target, "/v5/ws?x=1");
        assert_eq!(req.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(req.subprotocols, vec!["pacai.v5", "chat"]);
        assert!(req.headers.contains(&(b"x-a".to_vec(), b"b".to_vec())));
        assert_eq!(req.headers[0], (b"host".to_vec(), b"example.com".to_vec()));
    }

    #[test]
    fn tokens_are_case_insensitive_and_may_be_lists() {
        let head = request(
            "upgrade: WebSocket\r\nconnection: keep-alive, UPGRADE\r\n\
             sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n",
        );
        assert!(parse_upgrade_request(head.as_bytes()).is_ok());
    }

    #[test]
    fn refused_requests() {
        let without = |name: &str| {
            GOOD.split_inclusive("\r\n")
                .filter(|l| !l.starts_with(name))
                .collect::<String>()
        };
        let status = |head: String| parse_upgrade_request(head.as_bytes()).map_err(|e| e.status);
        assert_eq!(status(request(&without("Upgrade"))), Err(400));
        assert_eq!(status(request(&without("Connection"))), Err(400));
        assert_eq!(status(request(&without("Sec-WebSocket-Key"))), Err(400));
        assert_eq!(status(request(&without("Sec-WebSocket-Version"))), Err(400));
        let version = |v: &str| {
            format!(
                "{}Sec-WebSocket-Version: {v}\r\n",
                without("Sec-WebSocket-Version")
            )
        };
        assert_eq!(status(request(&version("8"))), Err(426));
        assert_eq!(status(request(&version("13, 8"))), Err(426));
        let key = |k: &str| format!("{}Sec-WebSocket-Key: {k}\r\n", without("Sec-WebSocket-Key"));
        assert_eq!(status(request(&key("short"))), Err(400));
        assert_eq!(
            status(request(&format!(
                "{GOOD}Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n"
            ))),
            Err(400)
        );
        assert_eq!(
            status(
                request(&format!("{GOOD}Upgrade: h2c\r\n")).replace("Upgrade: websocket\r\n", "")
            ),
            Err(400)
        );
        assert_eq!(status(request(GOOD).replacen("GET", "POST", 1)), Err(405));
        assert_eq!(
            status(request(GOOD).replacen("HTTP/1.1", "HTTP/1.0", 1)),
            Err(400)
        );
        assert_eq!(
            status(request(&format!("{GOOD} folded: value\r\n"))),
            Err(400)
        );
        assert_eq!(status(request(&format!("{GOOD}no colon\r\n"))), Err(400));
        assert_eq!(status("GET  HTTP/1.1\r\n".to_string()), Err(400));
        assert_eq!(status(String::new()), Err(400));
    }
}
