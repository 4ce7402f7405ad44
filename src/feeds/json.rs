//! simd-json with its scratch memory kept between frames.
//!
//! `simd_json::serde::from_slice*` allocates a fresh tape on every call; parsing into a tape
//! that is reset and reused (and reusable `Buffers`) makes a parse allocation-free once the
//! scratch has grown to the largest frame seen. Parsing happens in place in the receive
//! buffer, which is why frames arrive as `&mut [u8]`.

use simd_json::{Buffers, Tape};

pub use simd_json::prelude::{ValueAsArray, ValueAsObject, ValueAsScalar, ValueIntoString};
pub use simd_json::tape::Value;

pub struct JsonScratch {
    buffers: Buffers,
    tape: Option<Tape<'static>>,
}

impl Default for JsonScratch {
    fn default() -> Self {
        Self::new(64 << 10)
    }
}

impl JsonScratch {
    /// Scratch sized for frames up to `frame_bytes` without growing.
    pub fn new(frame_bytes: usize) -> Self {
        JsonScratch {
            buffers: Buffers::new(frame_bytes),
            tape: Some(Tape(Vec::with_capacity(frame_bytes / 4))),
        }
    }

    /// Parse `buf` in place and hand its root value to `f`. `None` if it is not valid JSON.
    #[inline]
    pub fn parse<'a, R>(
        &mut self,
        buf: &'a mut [u8],
        f: impl FnOnce(Value<'_, 'a>) -> R,
    ) -> Option<R> {
        let mut tape: Tape<'a> = self.tape.take().unwrap_or(Tape(Vec::new())).reset();
        let out = match simd_json::fill_tape(buf, &mut self.buffers, &mut tape) {
            Ok(()) => Some(f(tape.as_value())),
            Err(_) => None,
        };
        self.tape = Some(tape.reset());
        out
    }
}

/// A string field of an object.
#[inline]
pub fn get_str<'i>(v: Value<'_, 'i>, key: &str) -> Option<&'i str> {
    v.get(key).and_then(|x| x.into_string())
}

#[inline]
pub fn get_u64(v: Value<'_, '_>, key: &str) -> Option<u64> {
    v.get(key).and_then(|x| x.as_u64())
}
