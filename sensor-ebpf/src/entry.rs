//! The programs' entry points. Each is thin and written beside the `try_`
//! function it calls, in its family's file (`probes/`, and `path.rs` and
//! `resolve.rs` for the path machinery): a tracepoint cannot fail the
//! syscall, so a failure only goes to the diagnostics (`diag`).
//!
//! `entry!(tracepoint program::NAME, KIND, |ctx| BODY)` writes the program
//! NAME, whose name is the constant `program::NAME` of its family in
//! `sensor_common` (the loader finds it by that constant; an entry without
//! one does not compile). BODY is the `try_` call's result, its failure
//! counted against KIND; without KIND, BODY gives the kind's slot with the
//! result (a program shared by every kind, as the path walk is).
//! `raw_tracepoint` instead of `tracepoint` writes a raw tracepoint
//! program. What a program is attached to is the loader's business
//! (`sensor/src/load/programs.rs`).

/// See the module's documentation.
macro_rules! entry {
    (tracepoint $($rest:tt)*) => {
        $crate::entry::entry!(
            @program "tracepoint/", aya_ebpf::programs::TracePointContext, $($rest)*
        );
    };
    (raw_tracepoint $($rest:tt)*) => {
        $crate::entry::entry!(
            @program "raw_tp/", aya_ebpf::programs::RawTracePointContext, $($rest)*
        );
    };
    (
        @program $section:literal, $context:ty,
        $names:ident :: $name:ident, $kind:expr, |$ctx:ident| $body:expr
    ) => {
        $crate::entry::entry!(
            @program $section, $context, $names::$name, |$ctx| ($kind as u32, $body)
        );
    };
    // What aya's `#[tracepoint]` and `#[raw_tracepoint]` write, with one
    // section per program (its name), and in a block of its own, so that
    // a program may share its name with a function of its module.
    (
        @program $section:literal, $context:ty,
        $names:ident :: $name:ident, |$ctx:ident| $body:expr
    ) => {
        const _: () = {
            #[unsafe(no_mangle)]
            #[unsafe(link_section = concat!($section, stringify!($name)))]
            fn $name(ctx: *mut core::ffi::c_void) -> u32 {
                let $ctx = <$context>::new(ctx);
                let (slot, result): (u32, Result<(), i32>) = $body;
                $crate::diag::report(&$ctx, $names::$name, slot, result);
                0
            }
        };
    };
}
pub(crate) use entry;
