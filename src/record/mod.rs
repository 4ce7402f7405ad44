//! Recording raw feed frames, and replaying them through the decision engine (the backtest).

pub mod archive;
mod drive;
pub mod format;
pub mod replay;
pub mod report;
pub mod tap;
pub mod writer;

pub use format::{Feed, Reader, Record};
