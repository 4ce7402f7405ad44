//! Strategy math (being written).
