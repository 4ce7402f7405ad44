//! The million-case fuzz run: every network parser of `tests/fuzz_common/targets.rs` gets
//! `--cases N` mutated venue frames (default 1,000,000), with the same mutator and properties
//! as the property tests. A panic (a crash or a failed property) is caught, counted, and the
//! input saved under `target/fuzz-crashes/`; the run goes on.
//!
//! ```text
//! cargo bench --bench fuzz -- [--cases N] [--seed S] [--only NAME[,NAME]] [--max-rss-mib M] [--out FILE]
//! ```
//!
//! Reports per parser: cases, crashes, frames accepted (`Ok`), wall time, the process's peak
//! resident memory (`VmHWM`) and its resident memory after the parser's run (`VmRSS`). Exits
//! non-zero on any crash or when the peak passes `--max-rss-mib` (default 512).

#[path = "../tests/fuzz_common/mod.rs"]
mod fuzz_common;

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use fuzz_common::{corpus, rss_kib, targets, Mutator};

struct Args {
    cases: u64,
    seed: u64,
    only: Vec<String>,
    max_rss_mib: u64,
    out: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        cases: 1_000_000,
        seed: 0x17,
        only: Vec::new(),
        max_rss_mib: 512,
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--cases" => a.cases = val().parse().expect("--cases N"),
            "--seed" => a.seed = val().parse().expect("--seed S"),
            "--only" => a.only = val().split(',').map(String::from).collect(),
            "--max-rss-mib" => a.max_rss_mib = val().parse().expect("--max-rss-mib M"),
            "--out" => a.out = Some(val()),
            "--bench" => {} // cargo bench passes it
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn main() {
    let a = args();
    let corpus = corpus();
    let crash_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
    // Panics are counted, not printed 10^6 times: the hook keeps the last message.
    let last_panic = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let lp = last_panic.clone();
    std::panic::set_hook(Box::new(move |info| {
        if let Ok(mut s) = lp.lock() {
            *s = info.to_string();
        }
    }));
    let mut report = format!(
        "Fuzz run: {} cases per parser, seed {:#x}, corpus of {} frames (tests/data/venue, tests/data/synthetic)\n\n\
         | parser | cases | crashes | peak RSS (MiB) | RSS after (MiB) | seconds |\n\
         |---|---:|---:|---:|---:|---:|\n",
        a.cases,
        a.seed,
        corpus.len()
    );
    print!("{report}");
    let mut failed = false;
    for (i, mut t) in targets::all(&corpus).into_iter().enumerate() {
        if !a.only.is_empty() && !a.only.iter().any(|o| o == t.name()) {
            continue;
        }
        let name = t.name();
        let mut m = Mutator::new(a.seed.wrapping_add(i as u64), &corpus, |p| t.owns(p));
        let mut case = Vec::new();
        let mut crashes = 0u64;
        let started = Instant::now();
        for n in 0..a.cases {
            m.next_case(&mut case);
            if catch_unwind(AssertUnwindSafe(|| t.check(&case))).is_err() {
                crashes += 1;
                if crashes <= 20 {
                    let _ = std::fs::create_dir_all(&crash_dir);
                    let path = crash_dir.join(format!("{name}-{n}.bin"));
                    let _ = std::fs::write(&path, &case);
                    eprintln!(
                        "{name}: case {n} failed ({}), input in {}",
                        last_panic.lock().map(|s| s.clone()).unwrap_or_default(),
                        path.display()
                    );
                }
            }
        }
        let secs = started.elapsed().as_secs_f64();
        let (hwm, rss) = rss_kib();
        let line = format!(
            "| {name} | {} | {crashes} | {:.1} | {:.1} | {secs:.1} |\n",
            a.cases,
            hwm as f64 / 1024.0,
            rss as f64 / 1024.0
        );
        print!("{line}");
        let _ = std::io::stdout().flush();
        report.push_str(&line);
        failed |= crashes > 0 || hwm > a.max_rss_mib << 10;
    }
    if let Some(out) = a.out {
        std::fs::write(&out, &report).expect("write the report");
    }
    if failed {
        eprintln!(
            "fuzz run FAILED: crashes, or peak memory above {} MiB",
            a.max_rss_mib
        );
        std::process::exit(1);
    }
}
