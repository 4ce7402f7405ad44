//! Telemetry: counters and per-stage latency histograms.
//!
//! Hot threads write counters with single-writer relaxed stores and record latencies into
//! histograms they own; full histograms travel to the control side by ring and come back
//! empty, so nothing here locks or allocates on a hot thread.

pub mod counters;
pub mod hgrm;
pub mod stages;

pub use counters::Counters;
pub use stages::{LatencyBook, Stage, StageRecorder, StageSummary};
