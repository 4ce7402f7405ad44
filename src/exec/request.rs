//! The bytes of `POST /order`.
//!
//! Every header but the signature, the timestamp and the length is the same for every order on
//! a connection, so those are laid out once at start; the hot path copies them and writes only
//! what changes. Formatting the whole head with `write!` took about 4 µs a request on the
//! 2-core VM (instrumented once, perf/plans/NOTES.md); the copies were not timed apart.

use crate::pipeline::events::TriggerTag;
use crate::sim::wire::{BOOK_TRIGGER_HEADER, TRIGGER_HEADER};

/// The constant parts of the request head, around the per-order fields.
pub struct OrderRequest {
    /// Request line and headers up to the value of `POLY_SIGNATURE`.
    before_sig: Box<[u8]>,
    /// `POLY_API_KEY` and `POLY_PASSPHRASE` lines (after `POLY_TIMESTAMP`).
    after_ts: Box<[u8]>,
}

/// A simulator's measurement tags (`sim::wire`): the venue's name for the trigger frame, when
/// it was read and when the order's write began (both `clock::mono_ns`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BenchTags {
    /// `TriggerTag::None` writes no tags (the order goes untagged).
    pub trigger: TriggerTag,
    pub read_ns: u64,
    pub write_ns: u64,
}

impl OrderRequest {
    pub fn new(host: &str, address: &str, api_key: &str, passphrase: &str) -> OrderRequest {
        let before_sig = format!(
            "POST /order HTTP/1.1\r\nHost: {host}\r\nUser-Agent: cassandra\r\nAccept: */*\r\n\
             Connection: keep-alive\r\nContent-Type: application/json\r\n\
             POLY_ADDRESS: {address}\r\nPOLY_SIGNATURE: "
        );
        let after_ts = format!("POLY_API_KEY: {api_key}\r\nPOLY_PASSPHRASE: {passphrase}\r\n");
        OrderRequest {
            before_sig: before_sig.into_bytes().into_boxed_slice(),
            after_ts: after_ts.into_bytes().into_boxed_slice(),
        }
    }

    /// Write the whole request into `buf`: its length, or `None` when it does not fit.
    #[inline]
    pub fn write(
        &self,
        buf: &mut [u8],
        signature: &str,
        timestamp_s: u64,
        tags: Option<BenchTags>,
        body: &[u8],
    ) -> Option<usize> {
        let mut w = Cursor { buf, n: 0 };
        w.put(&self.before_sig)?;
        w.put(signature.as_bytes())?;
        w.put(b"\r\nPOLY_TIMESTAMP: ")?;
        w.put_u64(timestamp_s)?;
        w.put(b"\r\n")?;
        w.put(&self.after_ts)?;
        // A trigger without a name sends no tags (`None` here would read as "does not fit").
        let named = tags.and_then(|t| match t.trigger {
            TriggerTag::Binance(seq) => Some((t, TRIGGER_HEADER, seq)),
            TriggerTag::Book(tag) => Some((t, BOOK_TRIGGER_HEADER, tag)),
            TriggerTag::None => None,
        });
        if let Some((t, header, tag)) = named {
            w.put(header.as_bytes())?;
            w.put(b": ")?;
            w.put_u64(tag)?;
            w.put(b"\r\n")?;
            w.put(crate::sim::wire::LEGS_HEADER.as_bytes())?;
            w.put(b": ")?;
            w.put_u64(t.read_ns)?;
            w.put(b" ")?;
            w.put_u64(t.write_ns)?;
            w.put(b"\r\n")?;
        }
        w.put(b"Content-Length: ")?;
        w.put_u64(body.len() as u64)?;
        w.put(b"\r\n\r\n")?;
        w.put(body)?;
        Some(w.n)
    }
}

struct Cursor<'a> {
    buf: &'a mut [u8],
    n: usize,
}

impl Cursor<'_> {
    #[inline]
    fn put(&mut self, b: &[u8]) -> Option<()> {
        let end = self.n.checked_add(b.len())?;
        self.buf.get_mut(self.n..end)?.copy_from_slice(b);
        self.n = end;
        Some(())
    }

    #[inline]
    fn put_u64(&mut self, v: u64) -> Option<()> {
        let mut digits = [0u8; 20];
        self.put(crate::clob::auth::u64_text(v, &mut digits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request as the product wrote it with `write!` before this module: the bytes must
    /// not change.
    fn reference(sig: &str, ts: u64, tags: Option<BenchTags>, body: &str) -> String {
        let mut s = format!(
            "POST /order HTTP/1.1\r\nHost: clob.example\r\nUser-Agent: cassandra\r\nAccept: */*\r\n\
             Connection: keep-alive\r\nContent-Type: application/json\r\n\
             POLY_ADDRESS: 0xAbC\r\nPOLY_SIGNATURE: {sig}\r\nPOLY_TIMESTAMP: {ts}\r\n\
             POLY_API_KEY: key-1\r\nPOLY_PASSPHRASE: pass-1\r\n"
        );
        let named = tags.and_then(|t| match t.trigger {
            TriggerTag::Binance(seq) => Some((t, "x-trigger-seq", seq)),
            TriggerTag::Book(tag) => Some((t, "x-trigger-book", tag)),
            TriggerTag::None => None,
        });
        if let Some((t, name, tag)) = named {
            s += &format!(
                "{name}: {tag}\r\nx-trigger-legs: {} {}\r\n",
                t.read_ns, t.write_ns
            );
        }
        s += &format!("Content-Length: {}\r\n\r\n{body}", body.len());
        s
    }

    #[test]
    fn bytes_match_the_formatted_request() {
        let r = OrderRequest::new("clob.example", "0xAbC", "key-1", "pass-1");
        let sig = "A".repeat(44);
        let tags = BenchTags {
            trigger: TriggerTag::Binance(0),
            read_ns: 18_446_744_073_709_551_615,
            write_ns: 10,
        };
        let book = BenchTags {
            trigger: TriggerTag::Book(u64::MAX),
            ..tags
        };
        for (ts, tags, body) in [
            (1_764_000_000, None, "{\"order\":{}}"),
            (0, Some(tags), ""),
            (u64::MAX, Some(tags), "x"),
            (7, Some(book), "{}"),
            // A trigger without a name: the request goes out untagged.
            (
                8,
                Some(BenchTags {
                    trigger: TriggerTag::None,
                    ..tags
                }),
                "{}",
            ),
        ] {
            let mut buf = [0u8; 1024];
            let n = r.write(&mut buf, &sig, ts, tags, body.as_bytes()).unwrap();
            assert_eq!(
                std::str::from_utf8(&buf[..n]).unwrap(),
                reference(&sig, ts, tags, body)
            );
        }
    }

    #[test]
    fn a_request_that_does_not_fit_is_refused_whole() {
        let r = OrderRequest::new("clob.example", "0xAbC", "key-1", "pass-1");
        let full = reference("s", 1, None, "body").len();
        let mut buf = vec![0u8; full];
        assert_eq!(r.write(&mut buf, "s", 1, None, b"body"), Some(full));
        for short in [0, 10, full - 1] {
            let mut buf = vec![0u8; short];
            assert_eq!(
                r.write(&mut buf, "s", 1, None, b"body"),
                None,
                "{short} bytes"
            );
        }
    }
}
