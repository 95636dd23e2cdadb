//! Stage 1, load: preflight (privileges, BTF, tracefs), then the programs
//! into the kernel with their settings, then attach.

pub mod attach;
pub mod btf;
pub mod features;
pub mod kallsyms;
pub mod kernel_side;
pub mod privileges;
pub mod programs;
pub mod stats;
pub mod tracefs;

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashMap;

use aya::maps::{Array, ProgramArray};
use aya::{
    programs::{ProgramError, RawTracePoint, TracePoint},
    Ebpf, EbpfLoader,
};
use sensor_common::{
    config::SensorConfig,
    maps,
    offsets::KernelOffsets,
    rules::{KernelPredicate, KernelRange, KernelRulesMeta},
};

use programs::{Attach, Program, Tails, PROGRAMS};

/// The eBPF object, embedded at build time (see build.rs).
#[cfg(ebpf_object)]
fn object() -> Result<&'static [u8]> {
    static OBJECT: &[u8] = aya::include_bytes_aligned!(env!("SENSOR_EBPF_OBJECT"));
    Ok(OBJECT)
}

/// A sensor built before its eBPF object (a plain `cargo build` in a fresh
/// checkout) runs, but has no programs to load.
#[cfg(not(ebpf_object))]
fn object() -> Result<&'static [u8]> {
    bail!(
        "the kernel programs are not built into this sensor binary (the eBPF object did not \
         exist when it was built): build both with `cargo xtask build`"
    )
}

pub struct LoadOptions {
    pub btf: PathBuf,
    pub ring_buffer_bytes: u32,
    pub argv_cap: u32,
    pub ebpf_log: bool,
    /// Record every mmap, not only PROT_EXEC ones: the rules ask for more
    /// than `-F a2&0x4` (the default).
    pub mmap_all: bool,
    pub tty_cap: u32,
    /// Cgroups may be excluded from the audit (`--exclude`).
    pub scope_exclusions: bool,
}

/// What start-up learns about the running kernel.
pub struct Kernel {
    pub offsets: KernelOffsets,
    pub tracefs: tracefs::Tracefs,
    /// The cgroup controller whose hierarchy the programs read.
    pub cgroup_controller: &'static str,
    /// How the ELF interpreter's VMA is found (`config::vma_lookup`).
    pub vma_lookup: u32,
    /// `____fput`'s address, if /proc/kallsyms shows it.
    pub fput_fn: Option<u64>,
}

impl Kernel {
    /// What the kernel's BTF (and its symbols) say, with tracefs mounted.
    pub fn from_btf(btf: &btf_rs::Btf, tracefs: tracefs::Tracefs) -> Result<Self> {
        Ok(Self {
            offsets: btf::resolve(btf)?,
            tracefs,
            cgroup_controller: btf::controller(btf)?.0,
            vma_lookup: btf::vma_lookup(btf),
            fput_fn: kallsyms::address("____fput"),
        })
    }
}

/// Checks privileges, resolves offsets and makes sure tracefs is there.
pub fn preflight(opts: &LoadOptions) -> Result<Kernel> {
    let missing = privileges::missing()?;
    if !missing.is_empty() {
        bail!(privileges::advice(&missing));
    }
    let btf = btf::open(&opts.btf)?;
    features::require()?;
    let tracefs = tracefs::ensure_mounted()?;
    log::debug!("tracefs {tracefs}");
    let kernel = Kernel::from_btf(&btf, tracefs)?;
    features::log_missing(&features::probe(&kernel));
    Ok(kernel)
}

/// What loading one program cost the kernel.
pub struct Verified {
    /// Wall time of the load (almost all of it the verifier's).
    pub time: std::time::Duration,
    /// Instructions the verifier processed (`bpf_prog_info.verified_insns`,
    /// kernel 5.16 and later).
    pub instructions: Option<u32>,
}

impl std::fmt::Display for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} ms (", self.time.as_millis())?;
        match self.instructions {
            Some(n) => write!(f, "{n} instructions verified)"),
            None => write!(f, "the kernel counts no instructions before 5.16)"),
        }
    }
}

/// Each program's load: its figures, or why the kernel refused it.
pub type Loads = Vec<(&'static Program, Result<Verified, Refused>)>;

/// A program the kernel would not load: what to tell the user, and the
/// verifier's whole log when there is one (`sensor check --verifier-log`).
pub struct Refused {
    pub error: anyhow::Error,
    pub log: Option<String>,
}

/// Loads the maps and every program into the kernel (not attached yet),
/// each program on its own, so that one refusal does not hide the others.
pub fn load_each(opts: &LoadOptions, kernel: &Kernel) -> Result<(Ebpf, Loads)> {
    let config = settings(opts, kernel);
    let cpus = aya::util::nr_cpus().map_err(|(what, e)| anyhow!("{what}: {e}"))? as u32;
    let mut ebpf = EbpfLoader::new()
        .override_global(maps::CONFIG, &config, true)
        .override_global(maps::OFFSETS, &kernel.offsets, true)
        .map_max_entries(maps::EVENTS, opts.ring_buffer_bytes)
        .map_max_entries(maps::SCRATCH, cpus)
        .load(object()?)
        .context("loading the eBPF object (maps and programs)")?;
    let loads = PROGRAMS
        .iter()
        .map(|program| (program, load_one(&mut ebpf, program)))
        .collect();
    fill_tails(&mut ebpf)?;
    Ok((ebpf, loads))
}

/// Puts each continuation program (`sensor_common::tail`) in its slot. One
/// that did not load leaves its slot empty: the programs count each event
/// that then cannot continue as a kernel error.
fn fill_tails(ebpf: &mut Ebpf) -> Result<()> {
    let mut fds = Vec::new();
    for program in PROGRAMS {
        if let Attach::Tail(tails, slot) = program.attach {
            let fd = match tails {
                Tails::Tracepoint => typed::<TracePoint>(ebpf, program)?.fd().ok(),
                Tails::Raw => typed::<RawTracePoint>(ebpf, program)?.fd().ok(),
            };
            if let Some(fd) = fd {
                fds.push((tails, slot, program.name, fd.try_clone()?));
            }
        }
    }
    for (tails, slot, name, fd) in &fds {
        let map = ebpf
            .map_mut(tails.map())
            .with_context(|| format!("the {} map is missing", tails.map()))?;
        ProgramArray::try_from(map)?
            .set(*slot, fd, 0)
            .with_context(|| format!("putting {name} in slot {slot} of {}", tails.map()))?;
    }
    Ok(())
}

/// The settings the programs are loaded with.
fn settings(opts: &LoadOptions, kernel: &Kernel) -> SensorConfig {
    SensorConfig {
        self_tgid: std::process::id(),
        argv_cap: opts.argv_cap,
        diagnostics: opts.ebpf_log as u32,
        mmap_all: opts.mmap_all as u32,
        tty_cap: opts.tty_cap,
        exit_group_dead_offset: kernel
            .tracefs
            .field_offset("sched/sched_process_exit", "group_dead")
            .unwrap_or(0),
        scope_exclusions: opts.scope_exclusions as u32,
        vma_lookup: kernel.vma_lookup,
        fput_fn: kernel.fput_fn.unwrap_or(0),
    }
}

/// Each program's verifier statistics (`stats`), from a second load of the
/// object `ebpf` was loaded from, with the same settings.
pub fn verifier_stats(
    ebpf: &Ebpf,
    opts: &LoadOptions,
    kernel: &Kernel,
) -> Result<Vec<Result<stats::Stats>>> {
    let config = settings(opts, kernel);
    let globals = HashMap::from([
        (maps::CONFIG, (bytes_of(&config), true)),
        (maps::OFFSETS, (bytes_of(&kernel.offsets), true)),
    ]);
    stats::measure(ebpf, object()?, globals)
}

fn bytes_of<T: aya::Pod>(value: &T) -> &[u8] {
    // SAFETY: a Pod is plain bytes.
    unsafe { std::slice::from_raw_parts((value as *const T).cast(), std::mem::size_of::<T>()) }
}

fn load_one(ebpf: &mut Ebpf, program: &Program) -> Result<Verified, Refused> {
    let start = std::time::Instant::now();
    let loaded = if program.is_raw() {
        typed::<RawTracePoint>(ebpf, program).map(|p| p.load())
    } else {
        typed::<TracePoint>(ebpf, program).map(|p| p.load())
    };
    let refused = |error| Refused { error, log: None };
    loaded
        .map_err(refused)?
        .map_err(|e| verifier_error(program, e))?;
    let time = start.elapsed();
    let instructions = ebpf
        .program(program.name)
        .and_then(|p| p.info().ok())
        .and_then(|info| info.verified_instruction_count());
    let verified = Verified { time, instructions };
    log::debug!("program {} loaded in {}", program.name, verified);
    Ok(verified)
}

/// Loads every program; any refusal stops start-up, naming every program
/// the kernel refused and why.
pub fn load(opts: &LoadOptions, kernel: &Kernel) -> Result<Ebpf> {
    let (ebpf, loads) = load_each(opts, kernel)?;
    let refused: Vec<String> = loads
        .into_iter()
        .filter_map(|(_, result)| result.err().map(|r| format!("{:#}", r.error)))
        .collect();
    if !refused.is_empty() {
        bail!(
            "{} of {} programs could not be loaded (`sensor check` reports each):\n{}",
            refused.len(),
            PROGRAMS.len(),
            refused.join("\n")
        );
    }
    Ok(ebpf)
}

pub(super) fn typed<'a, P>(ebpf: &'a mut Ebpf, program: &Program) -> Result<&'a mut P>
where
    &'a mut P: TryFrom<&'a mut aya::programs::Program, Error = ProgramError>,
{
    ebpf.program_mut(program.name)
        .with_context(|| format!("program {} is missing from the eBPF object", program.name))?
        .try_into()
        .with_context(|| format!("program {} is not of the expected type", program.name))
}

/// Names the program the verifier rejected and keeps the log's last lines,
/// which say why.
fn verifier_error(program: &Program, e: ProgramError) -> Refused {
    match e {
        ProgramError::LoadError {
            io_error,
            verifier_log,
        } => {
            let log = verifier_log.to_string();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(20)..].join("\n");
            Refused {
                error: anyhow!(
                    "the kernel's verifier rejected program {} ({io_error}); last lines of its log:\n{tail}",
                    program.name
                ),
                log: Some(log),
            }
        }
        other => Refused {
            error: anyhow!(other).context(format!("loading program {}", program.name)),
            log: None,
        },
    }
}

/// Writes the rules' kernel prefilter (`rules::kernel`) into the programs'
/// maps. The prefilter is off while the rules are rewritten, so an update
/// never drops an event either rule set would keep.
fn set_rules(ebpf: &mut Ebpf, rules: &crate::rules::RuleFile) -> Result<()> {
    let compiled = crate::rules::kernel::compile(rules);
    let mut meta: Array<_, KernelRulesMeta> = Array::try_from(
        ebpf.map_mut(maps::RULES_META)
            .context("the RULES_META map is missing")?,
    )?;
    meta.set(0, KernelRulesMeta::default(), 0)?;
    let mut table: Array<_, KernelPredicate> = Array::try_from(
        ebpf.map_mut(maps::RULES)
            .context("the RULES map is missing")?,
    )?;
    for (i, predicate) in compiled.predicates.iter().enumerate() {
        table.set(i as u32, predicate, 0)?;
    }
    let mut ranges: Array<_, KernelRange> = Array::try_from(
        ebpf.map_mut(maps::RANGES)
            .context("the RANGES map is missing")?,
    )?;
    for (slot, range) in compiled.ranges.iter().enumerate() {
        ranges.set(slot as u32, range, 0)?;
    }
    let mut meta: Array<_, KernelRulesMeta> = Array::try_from(
        ebpf.map_mut(maps::RULES_META)
            .context("the RULES_META map is missing")?,
    )?;
    meta.set(0, compiled.meta, 0)?;
    if compiled.meta.enabled == 0 {
        log::info!("the rules are too many or too wide for the kernel's prefilter: all filtering is done in userspace");
    }
    Ok(())
}
