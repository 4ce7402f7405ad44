//! The pinned-thread pipeline: hot event types, rings, wait strategies, the core plan.

pub mod affinity;
pub mod control;
pub mod cores;
pub mod events;
pub mod lossless;
pub mod registry;
pub mod rings;
pub mod shared;
pub mod wait;
