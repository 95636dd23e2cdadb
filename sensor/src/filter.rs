//! Stage 5, filter: which decoded events become records.
//!
//! Fork and exit always feed the process table (enrich) but are written
//! only with `--process-events`. TTY data is bounded per session and second
//! (`--tty-rate`): what is over the budget is cut, and the record says how
//! much it carried (`total`), so truncation is counted, never silent.

use std::collections::HashMap;

use crate::decode::{Decoded, Event};

pub struct Filter {
    process_events: bool,
    tty_rate: u32,
    /// Per session (or terminal, for processes without one): the second
    /// being counted and the bytes written in it.
    tty_budget: HashMap<u64, (u64, u32)>,
    pub tty_bytes_cut: u64,
}

impl Filter {
    pub fn new(process_events: bool, tty_rate: u32) -> Self {
        Self {
            process_events,
            tty_rate,
            tty_budget: HashMap::new(),
            tty_bytes_cut: 0,
        }
    }

    /// Whether to write `decoded`; may cut its TTY data to the budget.
    pub fn keep(&mut self, decoded: &mut Decoded) -> bool {
        let second = decoded.header.ts_boot_ns / 1_000_000_000;
        match &mut decoded.event {
            Event::Fork(_) | Event::Exit(_) => self.process_events,
            Event::Tty(tty) => {
                let ses = tty.call.process.ses;
                let key = if ses == u32::MAX {
                    1 << 32 | (tty.major as u64) << 20 | tty.minor as u64
                } else {
                    ses as u64
                };
                if self.tty_budget.len() > 4096 {
                    self.tty_budget.retain(|_, (s, _)| *s == second);
                }
                let (at, used) = self.tty_budget.entry(key).or_insert((second, 0));
                if *at != second {
                    (*at, *used) = (second, 0);
                }
                let left = self.tty_rate.saturating_sub(*used) as usize;
                if tty.data.len() > left {
                    self.tty_bytes_cut += (tty.data.len() - left) as u64;
                    tty.data.truncate(left);
                }
                *used += tty.data.len() as u32;
                true
            }
            _ => true,
        }
    }
}
