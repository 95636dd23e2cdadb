//! The kernel matrix's guest side: run by the initramfs's init inside a
//! QEMU guest (`sensor_tests::vm`), it runs the scenario
//! (`sensor_tests::matrix`) with the sensor at $SENSOR_BIN and sends the
//! outcome over the serial port given.
//!
//! Usage: matrix-guest PORT WORKDIR

use std::{path::Path, process::ExitCode};

use sensor_tests::{matrix, vm};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, port, dir] = args.as_slice() else {
        eprintln!("usage: matrix-guest PORT WORKDIR");
        return ExitCode::from(2);
    };
    let outcome = matrix::run(Path::new(dir)).and_then(|o| Ok(serde_json::to_string(&o)?));
    match outcome.and_then(|json| vm::send(Path::new(port), &json)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // On the console, which the host shows when no outcome came.
            eprintln!("matrix-guest: {e:#}");
            ExitCode::FAILURE
        }
    }
}
