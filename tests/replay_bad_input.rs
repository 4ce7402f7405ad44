//! `cassandra replay` on input that is not a recording ends at once with an error that names
//! the problem and a non-zero exit: a directory (it used to spin at 100% CPU forever), an
//! empty file (it used to exit 0 and print "-0.00"), a missing file.

use std::process::Command;
use std::time::{Duration, Instant};

use cassandra::pipeline::registry::AssetTable;
use cassandra::record::format::{Reader, WindowLine};
use cassandra::record::replay::{replay, ReplayError, Speed};

const BIN: &str = env!("CARGO_BIN_EXE_cassandra");

fn temp_dir(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!(
        "cassandra-{name}-{}-{}",
        std::process::id(),
        cassandra::clock::mono_ns()
    ));
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// Run `cassandra replay PATH`, killing it if it has not ended within 60 s.
fn replay_cli(path: &std::path::Path) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .arg("replay")
        .arg(path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text, started.elapsed())
}

#[test]
fn a_directory_is_refused_at_once() {
    let dir = temp_dir("replay-dir");
    let (code, text, took) = replay_cli(&dir);
    assert!(
        took < Duration::from_secs(60),
        "replay of a directory did not end: {text}"
    );
    assert_ne!(code, Some(0), "{text}");
    assert!(
        text.contains("is not a recording") && text.contains("directory"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_file_is_an_error_not_a_report() {
    let dir = temp_dir("replay-empty");
    let path = dir.join("empty.rec");
    std::fs::write(&path, b"").unwrap();
    let (code, text, _) = replay_cli(&path);
    assert_ne!(code, Some(0), "{text}");
    assert!(text.contains("holds no records"), "{text}");
    assert!(!text.contains("-0.00"), "{text}");
    let assets = AssetTable::from_names(&["BTC"]).unwrap();
    let err = replay(
        &b""[..],
        &assets,
        &Default::default(),
        &Default::default(),
        Speed::Max,
    )
    .unwrap_err();
    assert!(matches!(err, ReplayError::Empty), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_file_names_itself() {
    let dir = temp_dir("replay-missing");
    let path = dir.join("nope.rec");
    let (code, text, _) = replay_cli(&path);
    assert_ne!(code, Some(0), "{text}");
    assert!(text.contains("nope.rec"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A reader whose every read fails (as reading a directory does) yields its error once and
/// then ends, so a caller that skips errors cannot loop forever.
#[test]
fn a_failing_reader_reports_once_then_ends() {
    struct Failing;
    impl std::io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("always fails"))
        }
    }
    let items: Vec<_> = Reader::new(std::io::BufReader::new(Failing))
        .take(10)
        .collect();
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].is_err());
}

/// A recording with windows but no trades prints zero amounts without a minus sign.
#[test]
fn a_report_without_trades_prints_no_negative_zero() {
    let window = serde_json::to_string(&WindowLine {
        asset: 0,
        slug: "btc-updown-15m-1700000000".into(),
        condition_id: "0xc".into(),
        start_s: 1_700_000_000,
        end_s: 1_700_000_900,
        up_token: "1".into(),
        down_token: "2".into(),
        tick_e4: 100,
        min_size_e6: 5_000_000,
        fee_rate: 0.072,
        fee_exponent: 1.0,
        fee_taker_only: true,
        neg_risk: false,
        settle_twap_s: None,
        venue_outcome: None,
    })
    .unwrap();
    let text = format!("1 1700000000000 W {window}\n");
    let assets = AssetTable::from_names(&["BTC"]).unwrap();
    let report = replay(
        text.as_bytes(),
        &assets,
        &Default::default(),
        &Default::default(),
        Speed::Max,
    )
    .expect("replays");
    let rendered = report.render();
    assert!(!rendered.contains("-0.00"), "{rendered}");
}
