//! The names userspace finds the programs' maps and globals by: each is
//! the name of its static in `sensor-ebpf/src/maps.rs`, which declares it
//! through `shared!` by the same identifier (see `names!`).

names!(MAPS =>
    EVENTS,
    SEQ,
    DROPS,
    ERRORS,
    SCRATCH,
    SPECS,
    RULES,
    RANGES,
    RULES_META,
    SCOPE_EXCLUDED,
    TAILS,
    RAW_TAILS,
);

// Globals, rewritten before load (`EbpfLoader::override_global`).
names!(CONFIG, OFFSETS);
