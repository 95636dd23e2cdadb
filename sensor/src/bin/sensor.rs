//! sensor: eBPF syscall audit sensor. Everything is in the library
//! (`src/lib.rs`); the binary runs its command line.

fn main() -> std::process::ExitCode {
    sensor::main()
}
