//! Bounded memory of trades already seen.
//!
//! A Data API trade has no id of its own: its key is the wallet, the transaction hash and the
//! fill's place in that transaction (token, side, size and price, since one transaction can
//! hold several fills for one wallet). Keys are hashed to 64 bits and kept in a ring of fixed
//! capacity beside a set: the oldest key is forgotten first, so memory never grows. A
//! forgotten key can only come back if a poll returns a trade older than `capacity` newer ones,
//! which the `limit` of a poll rules out in practice.

use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use super::wire::DataApiTrade;

/// The de-duplication key of a row for one wallet.
pub fn trade_key(address: &str, row: &DataApiTrade) -> u64 {
    // SipHash with fixed keys: stable for the life of the process, which is all we need.
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new_with_keys(0x5448_414c_4553, 0x4341_5353);
    address.to_ascii_lowercase().hash(&mut h);
    row.transaction_hash.to_ascii_lowercase().hash(&mut h);
    row.asset.hash(&mut h);
    row.side.to_ascii_uppercase().hash(&mut h);
    row.size.to_bits().hash(&mut h);
    row.price.to_bits().hash(&mut h);
    h.finish()
}

/// Fixed-capacity set of seen keys, oldest evicted first.
#[derive(Debug)]
pub struct SeenKeys {
    order: VecDeque<u64>,
    set: HashSet<u64>,
    capacity: usize,
}

impl SeenKeys {
    pub fn new(capacity: usize) -> SeenKeys {
        let capacity = capacity.max(1);
        SeenKeys {
            order: VecDeque::with_capacity(capacity),
            set: HashSet::with_capacity(capacity),
            capacity,
        }
    }

    /// Remember `key`; true when it was new.
    pub fn insert(&mut self, key: u64) -> bool {
        if !self.set.insert(key) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.order.push_back(key);
        true
    }

    pub fn contains(&self, key: u64) -> bool {
        self.set.contains(&key)
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_oldest_first() {
        let mut s = SeenKeys::new(3);
        assert!(s.insert(1) && s.insert(2) && s.insert(3));
        assert!(!s.insert(2));
        assert!(s.insert(4)); // evicts 1
        assert_eq!(s.len(), 3);
        assert!(!s.contains(1) && s.contains(2) && s.contains(4));
    }
}
