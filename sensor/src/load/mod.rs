//! Stage 1, load: preflight (privileges, BTF, tracefs), then the programs
//! into the kernel with their settings, then attach.

pub mod btf;
pub mod privileges;
pub mod programs;
pub mod tracefs;

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use std::collections::{BTreeSet, HashMap};

use aya::maps::Array;
use aya::{
    programs::{
        raw_trace_point::RawTracePointLinkId, trace_point::TracePointLinkId, ProgramError,
        RawTracePoint, TracePoint,
    },
    Ebpf, EbpfLoader,
};
use sensor_common::{
    config::SensorConfig,
    offsets::KernelOffsets,
    rules::{KernelRule, KernelRulesMeta},
};

use programs::{Attach, Program, PROGRAMS};

/// The eBPF object, embedded at build time (see build.rs).
static OBJECT: &[u8] = aya::include_bytes_aligned!(env!("SENSOR_EBPF_OBJECT"));

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
}

/// Checks privileges, resolves offsets and makes sure tracefs is there.
pub fn preflight(opts: &LoadOptions) -> Result<Kernel> {
    let missing = privileges::missing()?;
    if !missing.is_empty() {
        bail!(privileges::advice(&missing));
    }
    let btf = btf::open(&opts.btf)?;
    let offsets = btf::resolve(&btf)?;
    let (cgroup_controller, _) = btf::controller(&btf)?;
    let tracefs = tracefs::ensure_mounted()?;
    log::debug!("tracefs {tracefs}");
    Ok(Kernel {
        offsets,
        tracefs,
        cgroup_controller,
    })
}

/// Loads every program into the kernel (not attached yet).
pub fn load(opts: &LoadOptions, kernel: &Kernel) -> Result<Ebpf> {
    let config = SensorConfig {
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
    };
    let cpus = aya::util::nr_cpus().map_err(|(what, e)| anyhow!("{what}: {e}"))? as u32;
    let mut ebpf = EbpfLoader::new()
        .override_global("CONFIG", &config, true)
        .override_global("OFFSETS", &kernel.offsets, true)
        .map_max_entries("EVENTS", opts.ring_buffer_bytes)
        .map_max_entries("SCRATCH", cpus)
        .load(OBJECT)
        .context("loading the eBPF object (maps and programs)")?;
    for program in PROGRAMS {
        let loaded = match program.attach {
            Attach::Tracepoint(_) => typed::<TracePoint>(&mut ebpf, program)?.load(),
            Attach::RawTracepoint => typed::<RawTracePoint>(&mut ebpf, program)?.load(),
        };
        loaded.map_err(|e| verifier_error(program, e))?;
    }
    Ok(ebpf)
}

/// Attaches one loaded program.
pub fn attach(ebpf: &mut Ebpf, program: &Program) -> Result<Link> {
    let attached = match program.attach {
        Attach::Tracepoint(category) => typed::<TracePoint>(ebpf, program)?
            .attach(category, program.name)
            .map(Link::Tracepoint),
        Attach::RawTracepoint => typed::<RawTracePoint>(ebpf, program)?
            .attach(program.name)
            .map(Link::Raw),
    };
    attached.with_context(|| format!("attaching {} to the {}", program.name, program.point()))
}

pub enum Link {
    Tracepoint(TracePointLinkId),
    Raw(RawTracePointLinkId),
}

/// The programs attached now, kept to what the rules need: a syscall no
/// rule can record costs nothing.
#[derive(Default)]
pub struct Attachments {
    links: HashMap<&'static str, Link>,
}

impl Attachments {
    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// Attaches what `syscalls` need and detaches what they no longer do.
    pub fn sync(&mut self, ebpf: &mut Ebpf, syscalls: &BTreeSet<u32>) -> Result<()> {
        for program in PROGRAMS {
            let needed = program.needed(syscalls);
            match (needed, self.links.remove(program.name)) {
                (true, None) => {
                    self.links.insert(program.name, attach(ebpf, program)?);
                }
                (true, Some(link)) => {
                    self.links.insert(program.name, link);
                }
                (false, Some(Link::Tracepoint(id))) => typed::<TracePoint>(ebpf, program)?
                    .detach(id)
                    .with_context(|| format!("detaching {}", program.name))?,
                (false, Some(Link::Raw(id))) => {
                    typed::<RawTracePoint>(ebpf, program)?
                        .detach(id)
                        .with_context(|| format!("detaching {}", program.name))?
                }
                (false, None) => {}
            }
        }
        Ok(())
    }
}

fn typed<'a, P>(ebpf: &'a mut Ebpf, program: &Program) -> Result<&'a mut P>
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

/// Writes the rules' kernel prefilter (`rules::kernel`) into the programs'
/// maps. The prefilter is off while the rules are rewritten, so an update
/// never drops an event either rule set would keep.
pub fn set_rules(ebpf: &mut Ebpf, rules: &crate::rules::RuleFile) -> Result<()> {
    let compiled = crate::rules::kernel::compile(rules);
    let mut meta: Array<_, KernelRulesMeta> = Array::try_from(
        ebpf.map_mut("RULES_META")
            .context("the RULES_META map is missing")?,
    )?;
    meta.set(0, KernelRulesMeta::default(), 0)?;
    let mut table: Array<_, KernelRule> =
        Array::try_from(ebpf.map_mut("RULES").context("the RULES map is missing")?)?;
    for (i, rule) in compiled.rules.iter().enumerate() {
        table.set(i as u32, rule, 0)?;
    }
    let mut meta: Array<_, KernelRulesMeta> = Array::try_from(
        ebpf.map_mut("RULES_META")
            .context("the RULES_META map is missing")?,
    )?;
    meta.set(0, compiled.meta, 0)?;
    if compiled.meta.enabled == 0 {
        log::info!("the rules are too many or too wide for the kernel's prefilter: all filtering is done in userspace");
    }
    Ok(())
}
