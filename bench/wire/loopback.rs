//! The floor: the kernel's own TCP loopback round trip, measured in the same run.
//!
//! Two threads, one connection, a 64-byte message echoed back and forth with blocking
//! reads and `TCP_NODELAY`: what any request/response over loopback costs before a single
//! byte is parsed. Wire-to-wire tick-to-trade crosses loopback twice (frame out, order back),
//! so it is compared with one round trip.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use hdrhistogram::Histogram;

/// Round trips run before recording, to warm the path up.
const WARM: usize = 500;

pub fn round_trip(iterations: usize) -> anyhow::Result<Histogram<u64>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let echo = std::thread::spawn(move || -> std::io::Result<()> {
        let (mut s, _) = listener.accept()?;
        s.set_nodelay(true)?;
        let mut buf = [0u8; 64];
        loop {
            if s.read_exact(&mut buf).is_err() {
                return Ok(());
            }
            s.write_all(&buf)?;
        }
    });
    let mut s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    let mut h = super::run::new_histogram();
    let msg = [7u8; 64];
    let mut back = [0u8; 64];
    for i in 0..iterations + WARM {
        let t = std::time::Instant::now();
        s.write_all(&msg)?;
        s.read_exact(&mut back)?;
        if i >= WARM {
            h.saturating_record(t.elapsed().as_nanos() as u64);
        }
    }
    drop(s);
    let _ = echo.join();
    Ok(h)
}
