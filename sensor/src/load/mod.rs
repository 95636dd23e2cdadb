//! Stage 1, load: preflight (privileges, BTF, tracefs), then the programs
//! into the kernel with their settings, then attach.

pub mod btf;
pub mod privileges;
pub mod programs;
pub mod tracefs;

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use aya::{
    programs::{ProgramError, TracePoint},
    Ebpf, EbpfLoader,
};
use sensor_common::{config::SensorConfig, offsets::KernelOffsets};

use programs::{Program, PROGRAMS};

/// The eBPF object, embedded at build time (see build.rs).
static OBJECT: &[u8] = aya::include_bytes_aligned!(env!("SENSOR_EBPF_OBJECT"));

pub struct LoadOptions {
    pub btf: PathBuf,
    pub ring_buffer_bytes: u32,
    pub argv_cap: u32,
    pub ebpf_log: bool,
}

/// Checks privileges, resolves offsets and makes sure tracefs is there.
pub fn preflight(opts: &LoadOptions) -> Result<KernelOffsets> {
    let missing = privileges::missing()?;
    if !missing.is_empty() {
        bail!(privileges::advice(&missing));
    }
    let offsets = btf::resolve(&btf::open(&opts.btf)?)?;
    let tracefs = tracefs::ensure_mounted()?;
    log::debug!("tracefs {tracefs}");
    Ok(offsets)
}

/// Loads every program into the kernel (not attached yet).
pub fn load(opts: &LoadOptions, offsets: &KernelOffsets) -> Result<Ebpf> {
    let config = SensorConfig {
        self_tgid: std::process::id(),
        argv_cap: opts.argv_cap,
        diagnostics: opts.ebpf_log as u32,
        _pad: 0,
    };
    let cpus = aya::util::nr_cpus().map_err(|(what, e)| anyhow!("{what}: {e}"))? as u32;
    let mut ebpf = EbpfLoader::new()
        .override_global("CONFIG", &config, true)
        .override_global("OFFSETS", offsets, true)
        .map_max_entries("EVENTS", opts.ring_buffer_bytes)
        .map_max_entries("EXEC_SCRATCH", cpus)
        .load(OBJECT)
        .context("loading the eBPF object (maps and programs)")?;
    for program in PROGRAMS {
        tracepoint(&mut ebpf, program)?
            .load()
            .map_err(|e| verifier_error(program, e))?;
    }
    Ok(ebpf)
}

/// Attaches one loaded program to its tracepoint.
pub fn attach(ebpf: &mut Ebpf, program: &Program) -> Result<()> {
    tracepoint(ebpf, program)?
        .attach(program.category, program.tracepoint)
        .with_context(|| {
            format!(
                "attaching {} to the tracepoint {}:{}",
                program.name, program.category, program.tracepoint
            )
        })?;
    Ok(())
}

fn tracepoint<'a>(ebpf: &'a mut Ebpf, program: &Program) -> Result<&'a mut TracePoint> {
    ebpf.program_mut(program.name)
        .with_context(|| format!("program {} is missing from the eBPF object", program.name))?
        .try_into()
        .with_context(|| format!("program {} is not a tracepoint", program.name))
}

/// Names the program the verifier rejected and keeps the log's last lines,
/// which say why.
fn verifier_error(program: &Program, e: ProgramError) -> anyhow::Error {
    match e {
        ProgramError::LoadError {
            io_error,
            verifier_log,
        } => {
            let log = verifier_log.to_string();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(20)..].join("\n");
            anyhow!(
                "the kernel's verifier rejected program {} ({io_error}); last lines of its log:\n{tail}",
                program.name
            )
        }
        other => anyhow!(other).context(format!("loading program {}", program.name)),
    }
}
