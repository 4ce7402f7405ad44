//! The simulated chain's reads that funds and redemption need, answered from the simulated
//! CLOB's wallets (the on-chain side of them) and the settled windows: pUSD
//! `balanceOf(owner)`, conditional-token `balanceOf(owner, id)` (ERC-1155),
//! `payoutDenominator(conditionId)` (1 once the window settled, else 0) and
//! `payoutNumerators(conditionId, index)` (index 0 is Up, 1 is Down: Gamma's outcome order).

use crate::clob::order::{Address, Chain};
use crate::clob::sign::keccak;

use super::windows::WindowOutcome;
use super::Shared;

fn selector(sig: &str) -> [u8; 4] {
    let h = keccak(sig.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

fn word(data: &[u8], i: usize) -> Option<&[u8]> {
    data.get(4 + 32 * i..4 + 32 * (i + 1))
}

fn addr(data: &[u8], i: usize) -> Option<Address> {
    let w = word(data, i)?;
    Some(Address::from_bytes(w[12..].try_into().ok()?))
}

fn u64_word(v: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

/// A uint256 word as decimal text (token ids are kept as decimal strings).
fn decimal(word: &[u8]) -> String {
    let mut n: Vec<u8> = word.to_vec();
    let mut digits = Vec::new();
    while n.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for b in n.iter_mut() {
            let cur = rem << 8 | u32::from(*b);
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(b'0' + rem as u8);
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// The settled outcome of a condition, if its window settled.
pub(crate) fn settled(sh: &Shared, condition: &[u8]) -> Option<WindowOutcome> {
    let mut hex = String::from("0x");
    for b in condition {
        hex.push_str(&format!("{b:02x}"));
    }
    let world = sh.world.lock().unwrap_or_else(|e| e.into_inner());
    world
        .windows
        .outcomes()
        .iter()
        .find(|o| o.condition_id.eq_ignore_ascii_case(&hex))
        .cloned()
}

/// The answer word of a read this module serves, or `None` to let the node try others.
pub(crate) fn read(sh: &Shared, to: &Address, data: &[u8]) -> Option<[u8; 32]> {
    let c = Chain::Polygon.contracts();
    let sel = data.get(..4)?;
    let is = |a: &str| to.as_str().eq_ignore_ascii_case(a);
    if is(c.collateral) && sel == selector("balanceOf(address)") {
        let owner = addr(data, 0)?;
        let b = sh.clob.balance(&owner).map_or(0, |b| b.pusd_u6);
        return Some(u64_word(b));
    }
    if !is(c.conditional_tokens) {
        return None;
    }
    if sel == selector("balanceOf(address,uint256)") {
        let owner = addr(data, 0)?;
        let token = decimal(word(data, 1)?);
        let held = sh.clob.balance(&owner).map_or(0, |b| {
            b.tokens
                .iter()
                .find(|(t, _)| *t == token)
                .map_or(0, |(_, n)| *n)
        });
        return Some(u64_word(held));
    }
    if sel == selector("payoutDenominator(bytes32)") {
        let settled = settled(sh, word(data, 0)?).is_some();
        return Some(u64_word(u64::from(settled)));
    }
    if sel == selector("payoutNumerators(bytes32,uint256)") {
        let index = word(data, 1)?[31];
        let won = settled(sh, word(data, 0)?).is_some_and(|o| o.up_won == (index == 0));
        return Some(u64_word(u64::from(won)));
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimal_of_a_word() {
        let mut w = [0u8; 32];
        w[30] = 0x04;
        w[31] = 0xd2;
        assert_eq!(super::decimal(&w), "1234");
        assert_eq!(super::decimal(&[0u8; 32]), "0");
    }
}
