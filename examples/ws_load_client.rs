//! WebSocket load client for `benches/ws_load.py`: blocking sockets, one thread per
//! connection, pipelined masked text frames, latency from a timestamp in each message.
//! Native so that the client, not the server, is never the bottleneck.
//!
//!   cargo run --release --example ws_load_client -- echo 127.0.0.1:8000 \
//!       --connections 8 --window 16 --size 64 --duration 3
//!   ... broadcast 127.0.0.1:8000 --connections 1 --receivers 16 --window 8 ...
//!
//! Prints one JSON object: messages received in the measured window, rate, latencies.

// A benchmark tool talking to a local server, not code that faces the network.
#![allow(clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone, Debug)]
struct Options {
    mode: String,
    addr: String,
    connections: usize,
    receivers: usize,
    window: usize,
    size: usize,
    warmup: f64,
    duration: f64,
}

fn parse_options() -> Result<Options, Error> {
    let mut args = std::env::args().skip(1);
    let mode = args
        .next()
        .ok_or("usage: ws_load_client echo|broadcast HOST:PORT [...]")?;
    let addr = args.next().ok_or("missing HOST:PORT")?;
    let mut options = Options {
        mode,
        addr,
        connections: 8,
        receivers: 16,
        window: 16,
        size: 64,
        warmup: 0.5,
        duration: 3.0,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or("missing value")?;
        match flag.as_str() {
            "--connections" => options.connections = value.parse()?,
            "--receivers" => options.receivers = value.parse()?,
            "--window" => options.window = value.parse()?,
            "--size" => options.size = value.parse()?,
            "--warmup" => options.warmup = value.parse()?,
            "--duration" => options.duration = value.parse()?,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    options.size = options.size.max(16);
    Ok(options)
}

/// A connection after the opening handshake, with a read buffer.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    mask: [u8; 4],
}

impl Conn {
    fn open(addr: &str, path: &str) -> Result<Self, Error> {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes())?;
        let mut conn = Self {
            stream,
            buf: vec![0; 1 << 20],
            start: 0,
            end: 0,
            mask: [0x12, 0x34, 0x56, 0x78],
        };
        loop {
            if let Some(pos) = conn.buf[..conn.end]
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
            {
                if !conn.buf.starts_with(b"HTTP/1.1 101") {
                    return Err("handshake refused".into());
                }
                conn.start = pos + 4;
                return Ok(conn);
            }
            conn.fill()?;
        }
    }

    fn fill(&mut self) -> Result<(), Error> {
        if self.start > 0 && self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = self.stream.read(&mut self.buf[self.end..])?;
        if n == 0 {
            return Err("connection closed".into());
        }
        self.end += n;
        Ok(())
    }

    /// The next complete frame already buffered: (opcode, payload range).
    fn next_frame(&mut self) -> Option<(u8, usize, usize)> {
        let avail = &self.buf[self.start..self.end];
        if avail.len() < 2 {
            return None;
        }
        let (len, header) = match avail[1] & 0x7F {
            126 if avail.len() >= 4 => (usize::from(u16::from_be_bytes([avail[2], avail[3]])), 4),
            127 if avail.len() >= 10 => {
                let mut raw = [0u8; 8];
                raw.copy_from_slice(&avail[2..10]);
                (usize::try_from(u64::from_be_bytes(raw)).ok()?, 10)
            }
            126 | 127 => return None,
            n => (usize::from(n), 2),
        };
        if avail.len() < header + len {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            return None;
        }
        let opcode = avail[0] & 0x0F;
        let begin = self.start + header;
        self.start = begin + len;
        Some((opcode, begin, begin + len))
    }

    /// Appends a masked text frame carrying the send time to `out`.
    fn push_message(&self, out: &mut Vec<u8>, epoch: Instant, size: usize) {
        let mut payload = format!("{:016x}", epoch.elapsed().as_nanos() as u64).into_bytes();
        payload.resize(size, b'x');
        out.push(0x81);
        match size {
            0..=125 => out.push(0x80 | size as u8),
            126..=0xFFFF => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(size as u16).to_be_bytes());
            }
            _ => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(size as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&self.mask);
        out.extend(
            payload
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ self.mask[i % 4]),
        );
    }
}

fn sent_at(payload: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(payload.get(..16)?).ok()?;
    u64::from_str_radix(text, 16).ok()
}

#[derive(Default)]
struct Tally {
    received: u64,
    latencies_us: Vec<u32>,
}

struct Clock {
    epoch: Instant,
    measure_from: Instant,
    measure_to: Instant,
}

impl Clock {
    fn record(&self, tally: &mut Tally, payload: &[u8]) {
        let now = Instant::now();
        if now < self.measure_from || now > self.measure_to {
            return;
        }
        tally.received += 1;
        if let Some(sent) = sent_at(payload) {
            let now_ns = now.duration_since(self.epoch).as_nanos() as u64;
            tally
                .latencies_us
                .push((now_ns.saturating_sub(sent) / 1000).min(u64::from(u32::MAX)) as u32);
        }
    }
}

/// One echo connection: keeps `window` messages in flight until the clock ends.
fn echo_worker(
    options: &Options,
    barrier: &Barrier,
    slot: &OnceLock<Clock>,
) -> Result<Tally, Error> {
    let mut conn = Conn::open(&options.addr, "/echo")?;
    barrier.wait();
    let clock = wait_for(slot);
    let mut tally = Tally::default();
    let mut out = Vec::new();
    for _ in 0..options.window {
        conn.push_message(&mut out, clock.epoch, options.size);
    }
    conn.stream.write_all(&out)?;
    let mut in_flight = options.window;
    while in_flight > 0 {
        conn.fill()?;
        let mut replies = 0;
        while let Some((opcode, begin, end)) = conn.next_frame() {
            if opcode == 1 {
                clock.record(&mut tally, &conn.buf[begin..end]);
                replies += 1;
            }
        }
        in_flight -= replies;
        if Instant::now() < clock.measure_to && replies > 0 {
            out.clear();
            for _ in 0..replies {
                conn.push_message(&mut out, clock.epoch, options.size);
            }
            conn.stream.write_all(&out)?;
            in_flight += replies;
        }
    }
    Ok(tally)
}

fn receiver_worker(
    options: &Options,
    barrier: &Barrier,
    slot: &OnceLock<Clock>,
) -> Result<Tally, Error> {
    let mut conn = Conn::open(&options.addr, "/broadcast?role=receiver")?;
    barrier.wait();
    let clock = wait_for(slot);
    let mut tally = Tally::default();
    let stop = clock.measure_to + Duration::from_millis(500);
    conn.stream
        .set_read_timeout(Some(Duration::from_millis(200)))?;
    while Instant::now() < stop {
        match conn.fill() {
            Ok(()) => {}
            Err(err) => match err.downcast_ref::<std::io::Error>() {
                Some(io)
                    if matches!(
                        io.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue
                }
                _ => return Err(err),
            },
        }
        while let Some((opcode, begin, end)) = conn.next_frame() {
            if opcode == 1 {
                clock.record(&mut tally, &conn.buf[begin..end]);
            }
        }
    }
    Ok(tally)
}

/// The broadcast sender: the server acks each message once it has been handed to every
/// receiver; `window` messages may be unacknowledged.
fn sender_worker(
    options: &Options,
    barrier: &Barrier,
    slot: &OnceLock<Clock>,
) -> Result<Tally, Error> {
    // Receivers connect first so that every message reaches all of them.
    barrier.wait();
    let clock = wait_for(slot);
    let mut conn = Conn::open(&options.addr, "/broadcast?role=sender")?;
    let mut tally = Tally::default();
    let mut out = Vec::new();
    for _ in 0..options.window {
        conn.push_message(&mut out, clock.epoch, options.size);
    }
    conn.stream.write_all(&out)?;
    let mut in_flight = options.window;
    while in_flight > 0 {
        conn.fill()?;
        let mut acks = 0;
        while let Some((opcode, _, _)) = conn.next_frame() {
            if opcode == 1 {
                acks += 1;
            }
        }
        in_flight -= acks;
        if Instant::now() >= clock.measure_from && Instant::now() <= clock.measure_to {
            tally.received += acks as u64;
        }
        if Instant::now() < clock.measure_to && acks > 0 {
            out.clear();
            for _ in 0..acks {
                conn.push_message(&mut out, clock.epoch, options.size);
            }
            conn.stream.write_all(&out)?;
            in_flight += acks;
        }
    }
    Ok(tally)
}

/// Waits until the main thread has started the clock.
fn wait_for(slot: &OnceLock<Clock>) -> &Clock {
    loop {
        if let Some(clock) = slot.get() {
            return clock;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(rank).copied().unwrap_or(0)
}

fn main() -> Result<(), Error> {
    let options = parse_options()?;
    let broadcast = options.mode == "broadcast";
    let workers = if broadcast {
        options.receivers + 1
    } else {
        options.connections
    };
    let barrier = Arc::new(Barrier::new(workers + 1));
    let slot: Arc<OnceLock<Clock>> = Arc::new(OnceLock::new());
    let epoch = Instant::now();

    let mut handles = Vec::new();
    for i in 0..workers {
        let (options, barrier, slot) = (options.clone(), barrier.clone(), slot.clone());
        handles.push(thread::spawn(move || -> Result<(bool, Tally), Error> {
            if !broadcast {
                Ok((false, echo_worker(&options, &barrier, &slot)?))
            } else if i == 0 {
                Ok((true, sender_worker(&options, &barrier, &slot)?))
            } else {
                Ok((false, receiver_worker(&options, &barrier, &slot)?))
            }
        }));
    }

    barrier.wait();
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(options.warmup);
    let measure_to = measure_from + Duration::from_secs_f64(options.duration);
    let _ = slot.set(Clock {
        epoch,
        measure_from,
        measure_to,
    });

    let mut received = 0u64;
    let mut acked = 0u64;
    let mut latencies = Vec::new();
    for handle in handles {
        let (is_sender, tally) = handle.join().map_err(|_| "worker panicked")??;
        if is_sender {
            acked += tally.received;
        } else {
            received += tally.received;
            latencies.extend(tally.latencies_us);
        }
    }
    latencies.sort_unstable();
    println!(
        "{{\"mode\": \"{}\", \"connections\": {}, \"receivers\": {}, \"window\": {}, \"size\": {}, \
         \"duration\": {}, \"received\": {}, \"sent_acked\": {}, \"rate\": {:.1}, \
         \"p50_us\": {}, \"p99_us\": {}, \"p999_us\": {}}}",
        options.mode,
        options.connections,
        if broadcast { options.receivers } else { 0 },
        options.window,
        options.size,
        options.duration,
        received,
        acked,
        received as f64 / options.duration,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 0.999),
    );
    Ok(())
}
