//! The venue simulator in its own process, for the wire-to-wire harness.
//!
//! The harness re-executes its own binary with `--sim-child`; the child starts the simulator
//! on ephemeral loopback ports, registers the throwaway key the parent passes in the
//! environment (never on the command line), prints one line `SIM_URLS <json>` and serves
//! until its stdin closes. The parent closing the pipe (or dying) ends the child.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use cassandra::clob::sign::PrivateKey;
use cassandra::config::Config;
use cassandra::sim::{SimClob, SimUrls, Simulator};

/// Environment variable carrying the throwaway key's hex to the child.
const KEY_ENV: &str = "CASSANDRA_BENCH_KEY";

/// What the child is asked to simulate.
#[derive(Clone, Copy, Debug)]
pub struct SimSpec {
    /// Binance frames per second (0 = flood).
    pub rate_hz: f64,
    pub window_s: u64,
    pub seed: u64,
    /// Drop every feed connection this often (0: never).
    pub drop_every_ms: u64,
}

/// The simulator process, from the parent's side.
pub struct SimProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    pub urls: SimUrls,
}

impl SimProcess {
    /// Start a child simulator and wait for its addresses.
    pub fn spawn(spec: SimSpec, key_hex: &str) -> anyhow::Result<SimProcess> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args([
                "--sim-child",
                "--rate",
                &spec.rate_hz.to_string(),
                "--window-s",
                &spec.window_s.to_string(),
                "--seed",
                &spec.seed.to_string(),
                "--drop-every-ms",
                &spec.drop_every_ms.to_string(),
            ])
            .env(KEY_ENV, key_hex)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let json = line
            .strip_prefix("SIM_URLS ")
            .ok_or_else(|| anyhow::anyhow!("simulator child did not start: {line:?}"))?;
        let urls: SimUrls = serde_json::from_str(json.trim())?;
        Ok(SimProcess { child, stdin, urls })
    }

    /// Close the child's stdin and wait for it to exit.
    pub fn stop(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            drop(self.stdin.take());
            let _ = self.child.wait();
        }
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The child's side: serve until stdin closes.
pub fn run_child(args: &[String]) -> anyhow::Result<()> {
    let mut cfg = Config {
        assets: vec!["BTC".into()],
        ..Config::default()
    };
    cfg.demo.binance_rate_hz = arg(args, "--rate").map_or(Ok(1000.0), |s| s.parse())?;
    cfg.demo.window_s = arg(args, "--window-s").map_or(Ok(60), |s| s.parse())?;
    cfg.demo.seed = arg(args, "--seed").map_or(Ok(7), |s| s.parse())?;
    cfg.demo.faults.drop_every_ms = arg(args, "--drop-every-ms").map_or(Ok(0), |s| s.parse())?;
    let key_hex = std::env::var(KEY_ENV).map_err(|_| anyhow::anyhow!("{KEY_ENV} is not set"))?;
    let key = PrivateKey::parse_hex(&key_hex).map_err(|e| anyhow::anyhow!("bench key: {e}"))?;
    // The simulator is left to the scheduler: pinning it to the control core made its own
    // HTTP thread wait there (order leg +10–15 µs at p50 in an A/B run), and the venue is not
    // the product's to place.
    let sim = Simulator::start(cassandra::demo::sim_config(&cfg))?;
    let eoa = key.address();
    sim.clob()
        .add_credentials(SimClob::derived_credentials(&eoa, 0), eoa);
    // The simulated CLOB checks the wallet's pUSD balance and allowance; `cassandra run`'s
    // preflight reads both on chain (balanceOf, the approvals) as well.
    sim.clob().fund(&eoa, cassandra::demo::DEMO_WALLET_PUSD_U6);
    sim.venue_misc()
        .set_pusd_balance(&eoa, u128::from(cassandra::demo::DEMO_WALLET_PUSD_U6));
    cassandra::clob::allowances::set_missing(
        &cassandra::clob::allowances::Rpc::new(&sim.rpc_url())?,
        cassandra::clob::order::Chain::Polygon,
        &key,
    )?;
    let mut out = std::io::stdout();
    writeln!(out, "SIM_URLS {}", serde_json::to_string(&sim.urls())?)?;
    out.flush()?;
    // Serve until the parent closes our stdin.
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    sim.shutdown();
    Ok(())
}
