//! What each program costs the verifier: instructions processed and the
//! stack depth of each frame, as the kernel reports them with
//! `BPF_LOG_STATS`.
//!
//! aya keeps no log of a load that succeeds, and kernels before 5.16 report
//! no instruction count afterwards, so this loads each program a second
//! time, from the same object with the same globals and the maps aya
//! created, asking for the statistics alone, and closes it at once. It is
//! for `sensor check --verifier-stats` and the guard tests, never on the way
//! to `ready`.

use std::{
    collections::{HashMap, HashSet},
    os::fd::{AsFd, AsRawFd},
};

use anyhow::{anyhow, bail, Context, Result};
use aya::{maps::Map, Ebpf};
use aya_obj::{
    generated::{bpf_insn, bpf_prog_type, BPF_CALL, BPF_JMP, BPF_PSEUDO_CALL},
    Object,
};

use super::programs::{Program, PROGRAMS};

/// The verifier's limits on the oldest kernel the sensor supports (5.10):
/// instructions processed per program, and bytes of stack across a chain
/// of calls.
pub const INSN_LIMIT: u32 = 1_000_000;
pub const STACK_LIMIT: u32 = 512;

/// One program's figures.
#[derive(Debug, Clone)]
pub struct Stats {
    pub program: &'static str,
    /// Instructions the verifier processed (every path it walked).
    pub processed: u32,
    /// Stack bytes of each function, the program's own first, in the order
    /// the kernel numbers them (by address).
    pub frames: Vec<u32>,
    /// The deepest chain of calls, as the kernel's check adds it up.
    pub stack: u32,
}

/// The deepest stack any chain of calls from the program's start can use,
/// as the kernel's check counts it: each function's frame rounded up to
/// 32 bytes, summed along the chain. Functions are numbered by address,
/// as in the log's `stack depth` line.
fn deepest_chain(insns: &[bpf_insn], frames: &[u32]) -> u32 {
    let is_call = |i: &bpf_insn| {
        u32::from(i.code) == BPF_JMP | BPF_CALL && u32::from(i.src_reg()) == BPF_PSEUDO_CALL
    };
    let mut starts: Vec<usize> = insns
        .iter()
        .enumerate()
        .filter(|(_, i)| is_call(i))
        .map(|(at, i)| (at as i64 + 1 + i64::from(i.imm)) as usize)
        .chain([0])
        .collect();
    starts.sort_unstable();
    starts.dedup();
    let function_of = |at: usize| starts.partition_point(|s| *s <= at) - 1;
    let mut callees = vec![Vec::new(); starts.len()];
    for (at, i) in insns.iter().enumerate().filter(|(_, i)| is_call(i)) {
        let target = (at as i64 + 1 + i64::from(i.imm)) as usize;
        callees[function_of(at)].push(function_of(target));
    }
    fn depth(f: usize, callees: &[Vec<usize>], frames: &[u32], seen: &mut Vec<usize>) -> u32 {
        if seen.contains(&f) {
            return 0; // recursion: the kernel refuses it anyway
        }
        seen.push(f);
        let own = frames.get(f).copied().unwrap_or(0).max(1).div_ceil(32) * 32;
        let deepest = callees[f]
            .iter()
            .map(|&c| depth(c, callees, frames, seen))
            .max()
            .unwrap_or(0);
        seen.pop();
        own + deepest
    }
    depth(0, &callees, frames, &mut Vec::new())
}

/// Loads every program again with `BPF_LOG_STATS`. `globals` are the
/// values the object was loaded with (`CONFIG`, `OFFSETS`).
pub fn measure(
    ebpf: &Ebpf,
    object: &[u8],
    globals: HashMap<&str, (&[u8], bool)>,
) -> Result<Vec<Result<Stats>>> {
    let mut obj = Object::parse(object).context("parsing the eBPF object")?;
    obj.patch_map_data(globals)?;
    let mut fds = Vec::new();
    for name in obj.maps.keys() {
        let map = ebpf
            .map(name)
            .with_context(|| format!("map {name} was not created"))?;
        fds.push((name.clone(), map_fd(map)?));
    }
    let text: HashSet<usize> = obj.functions.keys().map(|(section, _)| *section).collect();
    let maps: Vec<_> = fds
        .iter()
        .map(|(name, fd)| (name.as_str(), *fd, &obj.maps[name]))
        .collect();
    // The relocations borrow the maps they patch in; work on a copy.
    let mut relocated = obj.clone();
    relocated.relocate_maps(maps.into_iter(), &text)?;
    relocated.relocate_calls(&text)?;
    relocated.sanitize_functions(aya::features());
    Ok(PROGRAMS
        .iter()
        .map(|p| measure_one(&relocated, p))
        .collect())
}

fn map_fd(map: &Map) -> Result<i32> {
    let data = match map {
        Map::Array(d)
        | Map::PerCpuArray(d)
        | Map::HashMap(d)
        | Map::LruHashMap(d)
        | Map::RingBuf(d)
        | Map::ProgramArray(d) => d,
        other => bail!("unexpected map type {other:?}"),
    };
    Ok(data.fd().as_fd().as_raw_fd())
}

/// The leading fields of `union bpf_attr` for `BPF_PROG_LOAD`; the kernel
/// takes a shorter attr as if the rest were zero.
#[repr(C)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
}

const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_LOG_STATS: u32 = 4;

fn measure_one(obj: &Object, program: &'static Program) -> Result<Stats> {
    let prog = obj
        .programs
        .get(program.name)
        .with_context(|| format!("program {} is not in the eBPF object", program.name))?;
    let function = &obj.functions[&prog.function_key()];
    let prog_type = if program.is_raw() {
        bpf_prog_type::BPF_PROG_TYPE_RAW_TRACEPOINT
    } else {
        bpf_prog_type::BPF_PROG_TYPE_TRACEPOINT
    };
    let mut log = vec![0u8; 64 * 1024];
    let attr = ProgLoadAttr {
        prog_type: prog_type as u32,
        insn_cnt: function.instructions.len() as u32,
        insns: function.instructions.as_ptr() as u64,
        license: prog.license.as_ptr() as u64,
        log_level: BPF_LOG_STATS,
        log_size: log.len() as u32,
        log_buf: log.as_mut_ptr() as u64,
        kern_version: 0,
        prog_flags: 0,
        prog_name: [0; 16],
    };
    // SAFETY: attr and the buffers it points to outlive the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_LOAD,
            &attr as *const ProgLoadAttr,
            std::mem::size_of::<ProgLoadAttr>(),
        )
    };
    let err = std::io::Error::last_os_error();
    if fd >= 0 {
        // SAFETY: a descriptor the kernel just returned, closed once.
        unsafe { libc::close(fd as i32) };
    }
    let text =
        String::from_utf8_lossy(&log[..log.iter().position(|b| *b == 0).unwrap_or(0)]).into_owned();
    let stats = parse(program.name, &text).map(|mut s| {
        s.stack = deepest_chain(&function.instructions, &s.frames);
        s
    });
    match (fd >= 0, stats) {
        (_, Some(stats)) => Ok(stats),
        (true, None) => Err(anyhow!(
            "{}: the verifier printed no statistics",
            program.name
        )),
        (false, None) => Err(anyhow!("{}: refused ({err}): {text}", program.name)),
    }
}

/// Reads `processed N insns` and `stack depth A+B+C` from a stats log.
fn parse(program: &'static str, log: &str) -> Option<Stats> {
    let processed = log
        .lines()
        .find_map(|l| l.strip_prefix("processed "))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let frames = log
        .lines()
        .find_map(|l| l.strip_prefix("stack depth "))
        .map(|d| d.trim().split('+').filter_map(|f| f.parse().ok()).collect())
        .unwrap_or_default();
    Some(Stats {
        program,
        processed,
        frames,
        stack: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernels_statistics_lines() {
        let log = "verification time 61257 usec\nstack depth 48+160+0+72+288+0+0\n\
                   processed 1374 insns (limit 1000000) max_states_per_insn 2 total_states 94 peak_states 94 mark_read 22\n";
        let s = parse("p", log).unwrap();
        assert_eq!(s.processed, 1374);
        assert_eq!(s.frames, [48, 160, 0, 72, 288, 0, 0]);
    }

    fn insn(code: u32, src: u8, imm: i32) -> bpf_insn {
        let mut i: bpf_insn = unsafe { std::mem::zeroed() };
        i.code = code as u8;
        i.set_src_reg(src);
        i.imm = imm;
        i
    }

    #[test]
    fn the_deepest_chain_is_summed_as_the_kernel_rounds_it() {
        let call = |to: i32| insn(BPF_JMP | BPF_CALL, BPF_PSEUDO_CALL as u8, to);
        let exit = insn(0x95, 0, 0);
        // 0: main calls f (at 3) and g (at 5); f calls g.
        let insns = [call(2), call(3), exit, call(1), exit, exit];
        // main 48 -> 64; f 40 -> 64; g 200 -> 224: main+f+g = 352.
        assert_eq!(deepest_chain(&insns, &[48, 40, 200]), 352);
        assert_eq!(deepest_chain(&[exit], &[0]), 32);
    }
}
