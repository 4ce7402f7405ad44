//! The pinned-thread pipeline: hot event types, rings, wait strategies, the core plan.

pub mod control;
pub mod events;
