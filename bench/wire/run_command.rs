//! The production command measured the same way: `cassandra run` in its own process, live, its
//! configuration in a file and its key and CLOB credentials in its environment (as a user runs
//! it), against the simulator child. The file sets what `run::start_product` sets in process
//! (gates open, the same cooldown and limits, run to completion) and `live.tag_orders`, so the
//! venue times its orders exactly as it times the in-process variants'. The command runs its
//! preflight first, then its control side (the API on a loopback port, from which the
//! presigned ladder's hit rate is read), the order tracker and the venue ledger.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cassandra::config::Config;
use cassandra::sim::{SimClob, SimUrls};

use super::run::{absorb, fetch, RunResult, RunSpec};
use super::sim_child::SimProcess;

/// How long the command may take to pass its preflight and start.
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// What `cassandra run` prints once the pipeline runs (followed by the plan).
const STARTED: &str = "Core plan:";

/// The configuration file: what `start_product` sets in code, as keys.
fn config_toml(urls: &SimUrls, spec: RunSpec, dir: &Path, api_port: u16) -> String {
    let ws_user = format!("{}/ws/user", urls.http.replacen("http://", "ws://", 1));
    let rate_ring = cassandra::risk::rate::RATE_RING;
    let cash = cassandra::demo::DEMO_WALLET_PUSD_U6 as f64 / 1e6;
    format!(
        r#"mode = "live"
assets = ["BTC"]

[pipeline]
plan = "run-to-completion"

[venues]
binance_ws = "{binance}"
poly_ws = "{poly}"
chainlink_ws = "{chainlink}"
gamma = "{http}"
clob = "{http}"
binance_rest = "{http}"
polygon_rpc = "{http}/rpc"
data_api = "{http}"
relayer = "{http}/relayer"

[windows]
length_s = {window_s}
discovery_interval_ms = 500

[strategy]
start_cash = {cash}
max_open_positions = 1000

[strategy.gates]
min_edge = -1.0
min_move_bps = 0.0
max_spread = 1.0
max_prob = 1.0
cooldown_ms = {cooldown}
min_frac_into_window = 0.0
max_frac_into_window = 1.0

[risk]
max_open_positions = 1000
max_orders_per_minute = {rate_ring}
max_window_exposure_usdc = 1e9
max_asset_exposure_usdc = 1e9
max_total_exposure_usdc = 1e9
daily_loss_limit_usdc = 1e9
max_consecutive_losses = 1000000
max_drawdown_frac = 1.0
venue_error_max = 256

[whales]
enabled = false

[alerts]
enabled = false

[api]
bind = "127.0.0.1:{api_port}"

[preflight]
geoblock_url = "{http}/api/geoblock"

[live]
tag_orders = true
redemptions_path = "{redemptions}"

[live.venue]
user_channel = "{ws_user}"
"#,
        binance = urls.binance_ws,
        poly = urls.poly_ws,
        chainlink = urls.chainlink_ws,
        http = urls.http,
        window_s = spec.window_s,
        cooldown = spec.cooldown_ms,
        redemptions = dir.join("redemptions.sqlite").display(),
    )
}

/// A free loopback port for the command's API (bound and released at once).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Orders the command has written so far, presigned and signed on the spot (its API's
/// `/api/latency` counts of `order_write_presigned` and `order_write_signed`).
fn order_writes(api: &str) -> anyhow::Result<(u64, u64)> {
    let v: serde_json::Value = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?
        .get(format!("{api}/api/latency"))
        .send()?
        .error_for_status()?
        .json()?;
    let count = |stage: &str| v["stages"][stage]["count"].as_u64().unwrap_or(0);
    Ok((count("order_write_presigned"), count("order_write_signed")))
}

/// The command's output so far (it writes to a file, so a full pipe never stalls it).
fn output(log: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(log) {
        let _ = f.read_to_string(&mut s);
    }
    s
}

/// Stop the command as Ctrl-C does, and wait for it (killed if it does not stop).
fn stop(child: &mut Child) {
    // SAFETY: kill(2) on our own child's pid; no memory is touched.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(30) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Measure `cassandra run` against `sim`, trading with the key `key_hex`.
pub fn run_command(
    sim: &SimProcess,
    key_hex: &str,
    spec: RunSpec,
    r: &mut RunResult,
) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("cassandra-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let cfg_path = dir.join("cassandra.toml");
    let api = free_port()?;
    let text = config_toml(&sim.urls, spec, &dir, api);
    let api = format!("http://127.0.0.1:{api}");
    // The same checks the command will make, here, so a bad key fails with its name.
    Config::from_toml(&text)?.validate()?;
    std::fs::write(&cfg_path, &text)?;
    let log = dir.join("run.log");
    let out = std::fs::File::create(&log)?;
    let key = cassandra::clob::sign::PrivateKey::parse_hex(key_hex)
        .map_err(|e| anyhow::anyhow!("key: {e}"))?;
    let creds = SimClob::derived_credentials(&key.address(), 0);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cassandra"))
        .arg("run")
        .arg("--config")
        .arg(&cfg_path)
        .args(["--status-every", "0"])
        .current_dir(&dir)
        // Secrets through the environment, as for a user; nothing inherited decides the wallet.
        .env("POLYMARKET_PRIVATE_KEY", key_hex)
        .env("POLYMARKET_API_KEY", creds.api_key())
        .env("POLYMARKET_API_SECRET", creds.secret())
        .env("POLYMARKET_API_PASSPHRASE", creds.passphrase())
        .env_remove("POLYMARKET_PRIVATE_KEY_FILE")
        .env_remove("POLYMARKET_FUNDER")
        .env_remove("POLYMARKET_SIGNATURE_TYPE")
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()?;
    let t0 = Instant::now();
    loop {
        if output(&log).contains(STARTED) {
            break;
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("cassandra run exited ({status}):\n{}", output(&log));
        }
        if t0.elapsed() > START_TIMEOUT {
            stop(&mut child);
            anyhow::bail!(
                "cassandra run did not start in {START_TIMEOUT:?}:\n{}",
                output(&log)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(spec.warmup);
    let measured = (|| {
        let writes0 = order_writes(&api)?;
        let before = fetch(&sim.urls.http)?;
        let t = Instant::now();
        std::thread::sleep(spec.span);
        let after = fetch(&sim.urls.http)?;
        let secs = t.elapsed().as_secs_f64();
        let writes = order_writes(&api)?;
        anyhow::Ok((before, after, secs, writes0, writes))
    })();
    stop(&mut child);
    let (before, after, secs, writes0, writes) = measured?;
    r.presigned = writes.0.saturating_sub(writes0.0);
    r.signed_now = writes.1.saturating_sub(writes0.1);
    let text = output(&log);
    r.plan = text
        .split(STARTED)
        .nth(1)
        .map(|rest| {
            rest.lines()
                .map(str::trim)
                .skip_while(|l| l.is_empty())
                .take_while(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_else(|| "(plan not printed)".into());
    absorb(r, &before, &after, secs);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
