//! Embeds the eBPF object built by `cargo xtask build-ebpf`, so the sensor
//! ships as one self-contained binary.
//!
//! `cargo xtask build` names the object in `SENSOR_EBPF_OBJECT`, and then it
//! must exist. A plain `cargo build`, `cargo test` or `cargo clippy` (an
//! editor's checks) takes it from the target directory when it has been
//! built, and otherwise builds the sensor without it: a warning here, and
//! the sensor says so when it would load its programs (`load::object`).
use std::{env, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=SENSOR_EBPF_OBJECT");
    println!("cargo:rustc-check-cfg=cfg(ebpf_object)");
    let object = match env::var_os("SENSOR_EBPF_OBJECT") {
        Some(named) => {
            let object = PathBuf::from(named);
            if !object.is_file() {
                panic!(
                    "the eBPF object {} does not exist: build it with `cargo xtask build-ebpf`, \
                     or build everything with `cargo xtask build`",
                    object.display()
                );
            }
            object
        }
        None => {
            let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
            let object = manifest.join("../target/bpfel-unknown-none/release/sensor");
            if !object.is_file() {
                // No rerun-if-changed on the missing file: cargo would take
                // it as changed on every build and rebuild the sensor each
                // time. `cargo xtask build` sets SENSOR_EBPF_OBJECT, which
                // runs this again.
                println!(
                    "cargo:warning=the eBPF object is not built ({}): this sensor cannot load \
                     its kernel programs; `cargo xtask build` builds both",
                    object.display()
                );
                return;
            }
            object
        }
    };
    println!("cargo:rerun-if-changed={}", object.display());
    println!("cargo:rustc-cfg=ebpf_object");
    println!(
        "cargo:rustc-env=SENSOR_EBPF_OBJECT={}",
        object.canonicalize().unwrap().display()
    );
}
