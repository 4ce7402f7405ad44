//! simd-json with its scratch memory kept between frames.
//!
//! `simd_json::serde::from_slice*` allocates a fresh tape on every call; parsing into a tape
//! that is reset and reused (and reusable `Buffers`) makes a parse allocation-free once the
//! scratch has grown to the largest frame seen. Parsing happens in place in the receive
//! buffer, which is why frames arrive as `&mut [u8]`.
//!
//! Memory stays bounded under hostile input: a frame nested deeper than [`MAX_DEPTH`] is
//! refused before simd-json sees it (a 4 MiB frame of `[` would need hundreds of MB of
//! tape and stack), and scratch grown past its budget by one huge frame is given back
//! right after it, so one frame cannot raise memory for the life of the process. Neither
//! happens with the venues' frames, so steady state stays allocation-free.

use simd_json::{Buffers, Tape};

pub use simd_json::prelude::{ValueAsArray, ValueAsObject, ValueAsScalar, ValueIntoString};
pub use simd_json::tape::Value;

/// Deepest nesting of arrays and objects accepted (venue frames nest a handful deep).
pub const MAX_DEPTH: usize = 64;
/// Frames at least this long get the depth check first (below it, the worst case costs a few
/// MB for one frame and is given back).
const DEPTH_CHECK_FROM: usize = 64 << 10;

pub struct JsonScratch {
    buffers: Buffers,
    tape: Option<Tape<'static>>,
    /// The size the scratch was made for: what it keeps between frames.
    frame_bytes: usize,
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
            frame_bytes,
        }
    }

    /// Parse `buf` in place and hand its root value to `f`. `None` if it is not valid JSON.
    #[inline]
    pub fn parse<'a, R>(
        &mut self,
        buf: &'a mut [u8],
        f: impl FnOnce(Value<'_, 'a>) -> R,
    ) -> Option<R> {
        if buf.len() >= DEPTH_CHECK_FROM && too_deep(buf) {
            return None;
        }
        let mut tape: Tape<'a> = self.tape.take().unwrap_or(Tape(Vec::new())).reset();
        let out = match simd_json::fill_tape(buf, &mut self.buffers, &mut tape) {
            Ok(()) => Some(f(tape.as_value())),
            Err(_) => None,
        };
        // A frame far past the budget grew the scratch: give it back now (rare by design).
        let budget = self.frame_bytes.max(DEPTH_CHECK_FROM);
        if tape.0.capacity() > budget || self.buffers.structural_indexes().len() > budget / 2 {
            *self = JsonScratch::new(self.frame_bytes);
        } else {
            self.tape = Some(tape.reset());
        }
        out
    }
}

/// Nesting deeper than [`MAX_DEPTH`] outside strings (a scalar scan; only for long frames).
fn too_deep(buf: &[u8]) -> bool {
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for &b in buf {
        if in_str {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
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
