//! What an exec's BPRM_FCAPS record needs of the credentials: the
//! capability sets before and after, securebits, and which uid is root in
//! the process's user namespace.

use sensor_common::exec::ExecCreds;

use crate::kernel::{off, read, read_fields};

/// `task->cred`'s permitted, inheritable, effective and ambient sets (in
/// `sensor_common::exec::caps` order). A `kernel_cap_t` is 64 bits on
/// every kernel (two u32s before 6.3, one u64 since), and the sets sit
/// together in `struct cred`: one read of the block.
#[inline(always)]
pub fn caps(task: u64) -> Result<[u64; 4], i32> {
    let cred: u64 = read(task, off!(task_struct_cred))?;
    read_fields::<u64, 4, 5>(
        cred,
        [
            off!(cred_cap_permitted),
            off!(cred_cap_inheritable),
            off!(cred_cap_effective),
            off!(cred_cap_ambient),
        ],
    )
}

/// The real uid of `task` (its subjective credentials).
#[inline(always)]
pub fn uid(task: u64) -> Result<u32, i32> {
    let cred: u64 = read(task, off!(task_struct_cred))?;
    read(cred, off!(cred_uid))
}

/// The "after" half of `creds`, from the task that has just exec'd.
#[inline(always)]
pub fn after(task: u64, creds: &mut ExecCreds) -> Result<(), i32> {
    creds.new_caps = caps(task)?;
    let cred: u64 = read(task, off!(task_struct_cred))?;
    creds.securebits = read(cred, off!(cred_securebits))?;
    creds.root_uid = root_uid(cred).unwrap_or(u32::MAX);
    Ok(())
}

/// Most extents a uid map holds inline (UID_GID_MAP_MAX_BASE_EXTENTS).
const MAP_BASE_EXTENTS: u32 = 5;

/// The kernel uid that is uid 0 in the user namespace of `cred`: 0 in the
/// initial namespace; in another, from its uid map's first extent when it
/// maps 0 (a map's extents hold kernel uids). `Err` when not known.
#[inline(always)]
fn root_uid(cred: u64) -> Result<u32, i32> {
    let ns: u64 = read(cred, off!(cred_user_ns))?;
    let level: u32 = read(ns, off!(user_namespace_level))?;
    if level == 0 {
        return Ok(0);
    }
    let extents: u32 = read(ns, off!(user_namespace_uid_map_nr_extents))?;
    if extents == 0 || extents > MAP_BASE_EXTENTS {
        return Err(-61);
    }
    // struct uid_gid_extent { u32 first; u32 lower_first; u32 count; }
    let [first, lower_first]: [u32; 2] = read(ns, off!(user_namespace_uid_map_extent))?;
    if first != 0 {
        return Err(-61);
    }
    Ok(lower_first)
}
