//! The pinned-thread pipeline: hot event types, rings, wait strategies, the core plan.

pub mod control;
pub mod cores;
pub mod events;
pub mod rings;
pub mod wait;
