//! mmap records (`sensor_common::mmap`).

use anyhow::Result;
use bytes::Bytes;
use sensor_common::{
    mmap::{flags, MmapEvent},
    process::InodeInfo,
};

use super::{join_path, read_struct, Call, Trailer};

pub struct Mmap {
    pub call: Call,
    /// The mapped file, for a file-backed mapping.
    pub file: Option<MappedFile>,
}

pub struct MappedFile {
    pub path: Vec<u8>,
    pub inode: InodeInfo,
}

pub fn decode(raw: Bytes) -> Result<Mmap> {
    let e: MmapEvent = read_struct(&raw)?;
    let path = Trailer::after::<MmapEvent>(raw).take(e.path_len, "mmap path")?;
    Ok(Mmap {
        call: Call::new(e.process, e.syscall),
        file: (e.flags & flags::HAS_FILE != 0).then(|| MappedFile {
            path: join_path(
                &path,
                e.flags & flags::DELETED != 0,
                e.flags & flags::PATH_TRUNCATED != 0,
            ),
            inode: e.inode,
        }),
    })
}
