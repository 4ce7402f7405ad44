//! The fault suite's harness: the real `cassandra` binary in child processes, `cassandra sim`
//! on ephemeral loopback ports with its fault flags, `cassandra run` (or `demo`) pointed at
//! it, and what can be seen from outside: `/metrics`, `/health`, `/api/positions`, the
//! simulator's `GET /sim/stats`, the journal file, the process's exit and stderr.

#![allow(dead_code)] // each test file uses its part

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_cassandra");

/// A child process killed when dropped; its stdout and stderr are collected by threads.
pub struct Proc {
    pub child: Child,
    pub out: Arc<Mutex<String>>,
    pub err: Arc<Mutex<String>>,
}

impl Proc {
    pub fn spawn(mut cmd: Command) -> Proc {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn cassandra");
        let out = Arc::new(Mutex::new(String::new()));
        let err = Arc::new(Mutex::new(String::new()));
        for (src, dst) in [
            (
                Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
                out.clone(),
            ),
            (Box::new(child.stderr.take().unwrap()), err.clone()),
        ] {
            std::thread::spawn(move || {
                let mut r = BufReader::new(src);
                let mut line = String::new();
                while r.read_line(&mut line).unwrap_or(0) > 0 {
                    dst.lock().unwrap().push_str(&line);
                    line.clear();
                }
            });
        }
        Proc { child, out, err }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stdout(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.err.lock().unwrap().clone()
    }

    /// Wait until stdout has a line containing `needle`; the rest of that line.
    pub fn wait_line(&mut self, needle: &str, limit: Duration) -> String {
        let end = Instant::now() + limit;
        loop {
            if let Some(l) = self.stdout().lines().find(|l| l.contains(needle)) {
                return l.split_once(needle).unwrap().1.trim().to_string();
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!(
                    "exited ({st}) before printing {needle:?}:\n{}\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            assert!(
                Instant::now() < end,
                "no {needle:?} line:\n{}\n{}",
                self.stdout(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Still running?
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Wait for the exit (killing it after `limit`); whether it exited successfully.
    pub fn wait_exit(&mut self, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                // Let the reader threads drain the pipes.
                std::thread::sleep(Duration::from_millis(100));
                return st.success();
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL now, and reap.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGINT (Ctrl-C): the orderly stop.
    pub fn interrupt(&self) {
        // SAFETY: sending a signal to our own child's pid has no memory effects.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `cassandra sim` process and its addresses.
pub struct SimProc {
    pub proc: Proc,
    pub binance_ws: String,
    pub poly_ws: String,
    pub chainlink_ws: String,
    pub http: String,
}

/// The simulator's settings, shared by `sim` and the pipeline pointed at it (window length).
pub const SIM_TOML: &str = "assets = [\"BTC\", \"ETH\"]\n\
    [demo]\nwindow_s = 20\nseed = 7\nbinance_rate_hz = 100.0\npoly_update_hz = 5.0\n";

pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cassandra-fault-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

impl SimProc {
    /// `cassandra sim` on the given ports (0: ephemeral) with these extra flags.
    pub fn start(dir: &Path, ports: [u16; 4], flags: &[&str]) -> SimProc {
        let cfg = dir.join("sim.toml");
        std::fs::write(&cfg, SIM_TOML).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("sim").arg("--config").arg(&cfg);
        for (flag, port) in [
            "--binance-port",
            "--poly-port",
            "--chainlink-port",
            "--http-port",
        ]
        .iter()
        .zip(ports)
        {
            cmd.arg(flag).arg(port.to_string());
        }
        cmd.args(flags).env("RUST_LOG", "warn");
        let mut proc = Proc::spawn(cmd);
        let limit = Duration::from_secs(20);
        let binance = proc.wait_line("Binance", limit);
        let binance_ws = binance.split("/stream").next().unwrap().to_string();
        let poly_ws = proc
            .wait_line("Polymarket", limit)
            .trim_end_matches("/ws/market")
            .to_string();
        let chainlink_ws = proc
            .wait_line("Chainlink", limit)
            .trim_end_matches("/ws")
            .to_string();
        let http = proc
            .wait_line("HTTP", limit)
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        proc.wait_line("Running until Ctrl-C.", limit);
        SimProc {
            proc,
            binance_ws,
            poly_ws,
            chainlink_ws,
            http,
        }
    }

    /// The four ports bound (to restart a simulator in the same place).
    pub fn ports(&self) -> [u16; 4] {
        let port = |u: &str| u.rsplit(':').next().unwrap().parse().unwrap();
        [
            port(&self.binance_ws),
            port(&self.poly_ws),
            port(&self.chainlink_ws),
            port(&self.http),
        ]
    }

    /// `GET /sim/stats`.
    pub fn stats(&self) -> serde_json::Value {
        get_json(&format!("{}/sim/stats", self.http)).expect("GET /sim/stats")
    }

    /// `POST /sim/faults` with `plan` (JSON).
    pub fn set_faults(&self, plan: &str) {
        let r = reqwest::blocking::Client::new()
            .post(format!("{}/sim/faults", self.http))
            .body(plan.to_string())
            .send()
            .expect("POST /sim/faults");
        assert!(r.status().is_success(), "{plan}: {:?}", r.text());
    }

    /// The `[venues]` section pointing at this simulator.
    pub fn venues_toml(&self) -> String {
        format!(
            "[venues]\nbinance_ws = \"{b}\"\nbinance_rest = \"{h}\"\npoly_ws = \"{p}\"\n\
             chainlink_ws = \"{c}\"\ngamma = \"{h}\"\nclob = \"{h}\"\n\
             polygon_rpc = \"{h}/rpc\"\ndata_api = \"{h}\"\n",
            b = self.binance_ws,
            p = self.poly_ws,
            c = self.chainlink_ws,
            h = self.http
        )
    }
}

/// A configuration for `run` against `sim`: paper, 20-second windows, gates and limits wide
/// open (so orders flow; one a second per window at most, far under the per-minute cap, so a
/// test that waits for more orders is not stopped by the rate limit), fast backoff, API on an ephemeral port, whales off; `api` added to
/// the `[api]` table and `extra` appended.
pub fn run_config(dir: &Path, sim: &SimProc, api: &str, extra: &str) -> PathBuf {
    let text = format!(
        "mode = \"paper\"\nassets = [\"BTC\", \"ETH\"]\n\
         [pipeline]\npin = false\n\
         [feeds]\nbackoff_base_ms = 100\nbackoff_max_ms = 2000\n\
         [windows]\nlength_s = 20\ndiscovery_interval_ms = 500\n\
         [demo]\nwindow_s = 20\nseed = 7\n\
         [whales]\nenabled = false\n\
         [api]\nbind = \"127.0.0.1:0\"\n{api}\n\
         [strategy]\nmax_open_positions = 1000\n\
         [strategy.gates]\nmin_edge = -1.0\nmin_move_bps = 0.0\nmax_spread = 1.0\nmax_prob = 1.0\n\
         cooldown_ms = 1000\nmin_frac_into_window = 0.0\nmax_frac_into_window = 1.0\n\
         [risk]\nmax_open_positions = 1000\nmax_orders_per_minute = 1024\n\
         max_window_exposure_usdc = 1e9\nmax_asset_exposure_usdc = 1e9\n\
         max_total_exposure_usdc = 1e9\ndaily_loss_limit_usdc = 1e9\n\
         max_consecutive_losses = 1000000\nmax_drawdown_frac = 1.0\nvenue_error_max = 256\n\
         {}\n{extra}",
        sim.venues_toml()
    );
    let path = dir.join("run.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `cassandra run --config CFG --duration SECS`; returns the process and its API URL.
pub fn start_run(cfg: &Path, secs: f64, wrap: Option<&str>) -> (Proc, String) {
    let mut cmd = match wrap {
        // A shell wrapper (signal dispositions, limits) that execs the binary.
        Some(w) => {
            let mut c = Command::new("sh");
            c.arg("-c").arg(format!("{w} exec \"$0\" \"$@\"")).arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    cmd.arg("run")
        .arg("--config")
        .arg(cfg)
        .args(["--duration", &secs.to_string(), "--status-every", "0"])
        .env("RUST_LOG", "warn")
        .env_remove("API_KEY");
    let mut p = Proc::spawn(cmd);
    let api = p.wait_line("Dashboard and API on", Duration::from_secs(30));
    (p, api)
}

pub fn get_text(url: &str) -> Option<String> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .ok()?
        .get(url)
        .send()
        .ok()?
        .text()
        .ok()
}

pub fn get_json(url: &str) -> Option<serde_json::Value> {
    serde_json::from_str(&get_text(url)?).ok()
}

/// The sum of a Prometheus family's samples whose labels contain `label` (empty: all).
pub fn metric(text: &str, family: &str, label: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.split(['{', ' '])
                .next()
                .is_some_and(|name| name == family)
        })
        .filter(|l| l.contains(label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The largest sample of a family whose labels contain `label`.
pub fn metric_max(text: &str, family: &str, label: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(family) && l[family.len()..].starts_with('{'))
        .filter(|l| l.contains(label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .fold(0.0, f64::max)
}

pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    cond()
}

/// No panic reached stderr.
pub fn assert_no_panic(p: &Proc) {
    let err = p.stderr();
    assert!(!err.contains("panicked"), "a panic:\n{err}");
}
