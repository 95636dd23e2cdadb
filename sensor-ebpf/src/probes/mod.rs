//! One module per event family, mirrored by `sensor::decode`.
pub mod exec;
