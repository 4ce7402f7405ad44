//! `cassandra wallet status|approve [--config PATH]`: the trading wallet as the environment
//! names it (`POLYMARKET_SIGNATURE_TYPE`, `POLYMARKET_FUNDER`; the key and CLOB credentials as
//! for `run`), without starting the pipeline.
//!
//! - `status` prints, as JSON, the wallet that holds the funds, its pUSD on chain, the CLOB's
//!   balance view (refreshed first) and whether every approval is in place.
//! - `approve` sends the missing approvals from that wallet (an EOA's own transactions; a
//!   deposit wallet's relayer batch, with `POLYMARKET_RELAYER_API_KEY` and
//!   `POLYMARKET_RELAYER_API_KEY_ADDRESS`), refreshes the CLOB's view and prints the outcome.
//!   Proxy and Safe wallets are refused with what to do.
//!
//! Secrets come from the environment and are never printed.

use serde_json::json;

use crate::clob::auth::{private_key_from_lookup, Credentials};
use crate::clob::order::Chain;
use crate::config::Config;
use crate::wallet::approvals::approve_from_holder;
use crate::wallet::chain::ChainIo;
use crate::wallet::clob_funds::ClobFundsClient;
use crate::wallet::relayer::Relayer;
use crate::wallet::setup::{type_name, wallet_from_lookup, RelayerCreds};
use crate::wallet::WalletSetup;

use super::env_lookup;

/// `cassandra wallet …`
#[derive(clap::Subcommand, Debug)]
pub enum WalletCmd {
    /// The wallet that holds the funds: pUSD on chain, the CLOB's view, approvals.
    Status {
        #[arg(long)]
        config: Option<std::path::PathBuf>,
    },
    /// Send the missing approvals from the wallet that holds the funds.
    Approve {
        #[arg(long)]
        config: Option<std::path::PathBuf>,
    },
}

struct Parts {
    setup: WalletSetup,
    chain: ChainIo,
    clob: ClobFundsClient,
    relayer: Option<Relayer>,
}

fn parts(cfg: &Config) -> anyhow::Result<Parts> {
    let key = private_key_from_lookup(env_lookup)?;
    let creds = Credentials::from_lookup(env_lookup)?;
    let (signature_type, funder) =
        wallet_from_lookup(&env_lookup, &key.address()).map_err(anyhow::Error::msg)?;
    let setup = WalletSetup {
        key,
        signature_type,
        funder,
        chain: Chain::Polygon,
    };
    let chain = ChainIo::new(&cfg.venues.polygon_rpc, setup.chain)?;
    let clob = ClobFundsClient::new(&cfg.venues.clob, creds, setup.eoa(), signature_type)?;
    let relayer = match RelayerCreds::from_lookup(&env_lookup) {
        Ok(c) => Some(Relayer::new(&cfg.venues.relayer, c)?),
        Err(_) => None,
    };
    Ok(Parts {
        setup,
        chain,
        clob,
        relayer,
    })
}

pub fn run(cmd: WalletCmd) -> anyhow::Result<()> {
    match cmd {
        WalletCmd::Status { config } => {
            let cfg = Config::load(config.as_deref())?;
            cfg.validate()?;
            let p = parts(&cfg)?;
            let holder = p.setup.holder();
            let on_chain = p.chain.pusd_balance(&holder)?;
            p.clob.refresh()?;
            let view = p.clob.read()?;
            let approvals = crate::clob::allowances::read(&p.chain.rpc, p.setup.chain, &holder)?;
            let out = json!({
                "holder": holder.as_str(),
                "signer": p.setup.eoa().as_str(),
                "signature_type": type_name(p.setup.signature_type),
                "pusd_on_chain_u6": on_chain.to_string(),
                "clob_balance_u6": view.balance_u6.to_string(),
                "clob_allowance_u6": if view.min_allowance_u6 == u128::MAX {
                    "max".to_string()
                } else {
                    view.min_allowance_u6.to_string()
                },
                "approvals_ready": approvals.ready,
                "relayer_key": p.relayer.is_some(),
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
        WalletCmd::Approve { config } => {
            let cfg = Config::load(config.as_deref())?;
            cfg.validate()?;
            let p = parts(&cfg)?;
            let out = approve_from_holder(&p.setup, &p.chain, p.relayer.as_ref(), Some(&p.clob))?;
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
    }
}
