//! The trading identity from the environment: key, signature type, funder, and the relayer's
//! API key for smart wallets. Nothing here comes from the command line; no error echoes a
//! secret.

use crate::clob::order::{Address, Chain, SignatureType};
use crate::clob::sign::PrivateKey;

pub const ENV_SIGNATURE_TYPE: &str = "POLYMARKET_SIGNATURE_TYPE";
pub const ENV_FUNDER: &str = "POLYMARKET_FUNDER";
pub const ENV_RELAYER_API_KEY: &str = "POLYMARKET_RELAYER_API_KEY";
pub const ENV_RELAYER_API_KEY_ADDRESS: &str = "POLYMARKET_RELAYER_API_KEY_ADDRESS";

/// Who trades, and from which wallet. `Debug` shows addresses only.
#[derive(Clone)]
pub struct WalletSetup {
    pub key: PrivateKey,
    pub signature_type: SignatureType,
    /// The proxy, Safe or deposit wallet (types 1–3); `None` for type 0.
    pub funder: Option<Address>,
    pub chain: Chain,
}

impl std::fmt::Debug for WalletSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalletSetup")
            .field("eoa", &self.key.address())
            .field("signature_type", &self.signature_type)
            .field("funder", &self.funder)
            .finish()
    }
}

impl WalletSetup {
    /// The wallet that holds the funds and must carry approvals and receive redemptions.
    pub fn holder(&self) -> Address {
        self.funder.unwrap_or_else(|| self.key.address())
    }

    /// The EOA that signs (`POLY_ADDRESS`, the API key's owner).
    pub fn eoa(&self) -> Address {
        self.key.address()
    }
}

/// A signature type's number and name, as the operator sets and reads it.
pub fn type_name(t: SignatureType) -> &'static str {
    match t {
        SignatureType::Eoa => "0 (EOA)",
        SignatureType::PolyProxy => "1 (proxy wallet)",
        SignatureType::PolyGnosisSafe => "2 (Safe)",
        SignatureType::Poly1271 => "3 (deposit wallet, POLY_1271)",
    }
}

/// `POLYMARKET_SIGNATURE_TYPE` (unset or empty: 0).
pub fn signature_type_from(value: Option<&str>) -> Result<SignatureType, String> {
    match value.map(str::trim) {
        None | Some("") | Some("0") => Ok(SignatureType::Eoa),
        Some("1") => Ok(SignatureType::PolyProxy),
        Some("2") => Ok(SignatureType::PolyGnosisSafe),
        Some("3") => Ok(SignatureType::Poly1271),
        Some(other) => Err(format!(
            "{ENV_SIGNATURE_TYPE} = {other:?}: must be 0 (EOA), 1 (proxy), 2 (Safe) or 3 (deposit wallet)"
        )),
    }
}

/// The signature type and funder from `lookup`, checked against each other and the key:
/// types 1–3 need a funder that is not the key's own address; type 0 takes none (or the key's).
pub fn wallet_from_lookup(
    lookup: &dyn Fn(&str) -> Option<String>,
    eoa: &Address,
) -> Result<(SignatureType, Option<Address>), String> {
    let t = signature_type_from(lookup(ENV_SIGNATURE_TYPE).as_deref())?;
    let funder = match lookup(ENV_FUNDER).filter(|v| !v.trim().is_empty()) {
        Some(f) => Some(
            Address::parse_hex(f.trim())
                .map_err(|_| format!("{ENV_FUNDER} is not a 0x address of 40 hex digits"))?,
        ),
        None => None,
    };
    match (t, funder) {
        (SignatureType::Eoa, Some(f)) if f != *eoa => Err(format!(
            "{ENV_SIGNATURE_TYPE} is 0 (EOA) but {ENV_FUNDER} is {f}, not the key's address {eoa}: \
             set {ENV_SIGNATURE_TYPE} to the funder's wallet type (1 proxy, 2 Safe, 3 deposit \
             wallet) or unset {ENV_FUNDER}"
        )),
        (SignatureType::Eoa, _) => Ok((t, None)),
        (_, None) => Err(format!(
            "{ENV_SIGNATURE_TYPE} is {} but {ENV_FUNDER} is not set: set it to the wallet's 0x \
             address (polymarket.com, Settings)",
            type_name(t)
        )),
        (_, Some(f)) if f == *eoa => Err(format!(
            "{ENV_SIGNATURE_TYPE} is {} but {ENV_FUNDER} is the signing key's own address: set it \
             to the proxy/Safe/deposit wallet's address, or use type 0",
            type_name(t)
        )),
        (_, Some(f)) => Ok((t, Some(f))),
    }
}

/// The relayer's API key (polymarket.com, Settings → API Keys), sent as `RELAYER_API_KEY`
/// and `RELAYER_API_KEY_ADDRESS`. `Debug` shows the address only.
#[derive(Clone)]
pub struct RelayerCreds {
    pub api_key: String,
    pub address: Address,
}

impl std::fmt::Debug for RelayerCreds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RelayerCreds({}, <redacted>)", self.address)
    }
}

impl RelayerCreds {
    /// From `POLYMARKET_RELAYER_API_KEY` and `POLYMARKET_RELAYER_API_KEY_ADDRESS`; the error
    /// names the variable.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<RelayerCreds, String> {
        let key = lookup(ENV_RELAYER_API_KEY)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| format!("{ENV_RELAYER_API_KEY} is not set"))?;
        let addr = lookup(ENV_RELAYER_API_KEY_ADDRESS)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| format!("{ENV_RELAYER_API_KEY_ADDRESS} is not set"))?;
        let address = Address::parse_hex(addr.trim())
            .map_err(|_| format!("{ENV_RELAYER_API_KEY_ADDRESS} is not a 0x address"))?;
        Ok(RelayerCreds {
            api_key: key.trim().to_string(),
            address,
        })
    }
}
