//! One module per event family, mirrored by `sensor::decode`.
pub mod cgroup;
pub mod exec;
pub mod generic;
pub mod lifecycle;
pub mod login;
pub mod mmap;
pub mod net;
pub mod tty;
