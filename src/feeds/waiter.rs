//! Idling for the socket-reading ingest threads.
//!
//! `spin` re-polls the non-blocking sockets at once; `spin-yield` yields the core after a
//! burst of empty polls; `park` blocks in `epoll` (through `mio`) until a socket is readable,
//! the control side wakes the thread, or the timeout passes. The sockets are read until
//! `WouldBlock` on every pass, which is what edge-triggered readiness requires.

use std::os::fd::RawFd;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::pipeline::wait::WaitStrategy;

const SPINS_BEFORE_BACKOFF: u32 = 256;
/// Token reserved for the control side's `mio::Waker`.
pub const WAKER_TOKEN: Token = Token(usize::MAX);

pub struct SocketWaiter {
    poll: Poll,
    events: Events,
    strategy: WaitStrategy,
    empty_polls: u32,
}

impl SocketWaiter {
    pub fn new(strategy: WaitStrategy, poll: Poll) -> Self {
        SocketWaiter {
            poll,
            events: Events::with_capacity(16),
            strategy,
            empty_polls: 0,
        }
    }

    /// Watch a freshly connected socket (its old registration went away with the old fd).
    pub fn register(&self, fd: RawFd, token: usize) {
        if self.strategy != WaitStrategy::Park {
            return;
        }
        let _ = self
            .poll
            .registry()
            .register(&mut SourceFd(&fd), Token(token), Interest::READABLE);
    }

    #[inline]
    pub fn reset(&mut self) {
        self.empty_polls = 0;
    }

    /// Nothing was read this pass. `max_wait` bounds a park (housekeeping, reconnects).
    #[inline]
    pub fn idle(&mut self, max_wait: Duration) {
        self.empty_polls = self.empty_polls.saturating_add(1);
        match self.strategy {
            WaitStrategy::Spin => std::hint::spin_loop(),
            WaitStrategy::SpinYield => {
                if self.empty_polls > SPINS_BEFORE_BACKOFF {
                    std::thread::yield_now()
                } else {
                    std::hint::spin_loop()
                }
            }
            WaitStrategy::Park => {
                if self.empty_polls <= SPINS_BEFORE_BACKOFF {
                    std::hint::spin_loop();
                } else {
                    let _ = self.poll.poll(&mut self.events, Some(max_wait));
                }
            }
        }
    }
}
