//! Window set-up, the same for every driver: a discovered window gets two token slots
//! (round-robin over the registry's `MAX_TOKENS`), its venue token keys, and the engine's
//! [`WindowSpec`]. The control loop sends the parts to `poly-ingest` and `signal`; replay and
//! the tests hand them to their own book store and engine. One type, so the slot a token
//! takes and the spec the engine sees cannot differ between live and replay.

use crate::pipeline::control::{PolyControl, SignalControl, TokenKey, WindowSpec};
use crate::pipeline::events::TokenId;
use crate::pipeline::registry::MAX_TOKENS;

use super::DiscoveredWindow;

/// Hands out token slots, two per window, oldest reused first.
#[derive(Clone, Debug, Default)]
pub struct TokenSlots {
    next: u16,
}

/// What setting up one window means for the hot side.
#[derive(Clone, Copy, Debug)]
pub struct WindowSetup {
    /// The engine's view of the window (its tokens at `up`/`down`).
    pub spec: WindowSpec,
    /// `(slot, venue key)` of the UP then DOWN token; the key is `None` when the venue id is
    /// empty or too long (that token is not followed).
    pub tokens: [(TokenId, Option<TokenKey>); 2],
}

impl TokenSlots {
    /// Set up `w` on the next two slots.
    pub fn set_up(&mut self, w: &DiscoveredWindow) -> WindowSetup {
        let n = MAX_TOKENS as u16;
        let up = TokenId(self.next % n);
        let down = TokenId((self.next + 1) % n);
        self.next = (self.next + 2) % n;
        WindowSetup {
            spec: w.spec(up, down),
            tokens: [
                (up, TokenKey::new(&w.up_token)),
                (down, TokenKey::new(&w.down_token)),
            ],
        }
    }
}

impl WindowSetup {
    pub fn up(&self) -> TokenId {
        self.spec.up
    }

    pub fn down(&self) -> TokenId {
        self.spec.down
    }

    /// The message for `signal`.
    pub fn signal(&self) -> SignalControl {
        SignalControl::Window(self.spec)
    }

    /// The subscriptions for `poly-ingest`, one per token with a usable key.
    pub fn subscriptions(&self) -> impl Iterator<Item = PolyControl> + '_ {
        self.tokens
            .iter()
            .filter_map(|&(token, key)| key.map(|key| PolyControl::Subscribe { token, key }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(up: &str, down: &str) -> DiscoveredWindow {
        DiscoveredWindow {
            asset: crate::pipeline::events::AssetId(1),
            slug: "btc-updown-15m-1800000000".into(),
            question: String::new(),
            condition_id: "0xc0".into(),
            start_s: 1_800_000_000,
            end_s: 1_800_000_900,
            up_token: up.into(),
            down_token: down.into(),
            tick_e4: 100,
            min_size_e6: 5_000_000,
            fees: Default::default(),
            neg_risk: false,
            rules: Default::default(),
        }
    }

    #[test]
    fn slots_go_round_robin_in_pairs_and_wrap() {
        let mut slots = TokenSlots::default();
        let w = window("11", "22");
        let first = slots.set_up(&w);
        assert_eq!((first.up(), first.down()), (TokenId(0), TokenId(1)));
        assert_eq!(first.spec.start_s, w.start_s);
        assert_eq!(first.spec.min_size_e6, 5_000_000);
        for _ in 1..MAX_TOKENS / 2 {
            slots.set_up(&w);
        }
        let wrapped = slots.set_up(&w);
        assert_eq!((wrapped.up(), wrapped.down()), (TokenId(0), TokenId(1)));
    }

    #[test]
    fn a_token_without_a_usable_key_is_not_subscribed() {
        let mut slots = TokenSlots::default();
        let s = slots.set_up(&window("123", ""));
        let subs: Vec<_> = s.subscriptions().collect();
        assert_eq!(subs.len(), 1);
        assert!(
            matches!(subs[0], PolyControl::Subscribe { token, key } if token == TokenId(0) && key.as_str() == "123")
        );
        assert!(matches!(s.signal(), SignalControl::Window(spec) if spec.up == TokenId(0)));
    }
}
