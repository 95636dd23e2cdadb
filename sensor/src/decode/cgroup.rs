//! Cgroups made (`sensor_common::cgroup`).

use anyhow::Result;
use bytes::Bytes;
use sensor_common::{cgroup::CgroupEvent, process::ProcessInfo};

use super::{read_struct, Trailer};

pub struct CgroupMade {
    pub process: ProcessInfo,
    pub hierarchy: u32,
    pub id: u64,
    /// Within the hierarchy, from its root: `/kubepods/besteffort/pod…`.
    pub path: Bytes,
}

pub fn decode(raw: Bytes) -> Result<CgroupMade> {
    let e: CgroupEvent = read_struct(&raw)?;
    let path = Trailer::after::<CgroupEvent>(raw).take(e.path_len, "cgroup path")?;
    Ok(CgroupMade {
        process: e.process,
        hierarchy: e.hierarchy,
        id: e.id,
        path,
    })
}
