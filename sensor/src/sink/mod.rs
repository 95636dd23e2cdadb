//! Stage 7, sink: where rendered lines go.

pub mod stdout;
