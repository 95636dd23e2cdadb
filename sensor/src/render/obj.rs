//! A JSON writer: objects and lists written straight into the line, keys
//! in the order they are added. Every renderer of the JSON layout writes
//! through it.

use std::fmt::Write;

use super::encode::{json_str, push_int, Int};

/// Writes one JSON object; keys in the order they are added.
pub struct Obj<'a> {
    pub(super) out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    pub fn open(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, first: true }
    }

    pub(super) fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    pub fn num(&mut self, key: &str, value: impl Int) {
        self.key(key);
        push_int(self.out, value);
    }

    pub fn str(&mut self, key: &str, value: &[u8]) {
        self.key(key);
        json_str(self.out, value);
    }

    /// A number auditd writes in hexadecimal: laurel's `"0x…"`.
    pub fn hex(&mut self, key: &str, value: u64) {
        self.key(key);
        let _ = write!(self.out, "\"0x{value:x}\"");
    }

    /// A string, or null where auditd writes `(null)`.
    pub fn str_or_null(&mut self, key: &str, value: Option<&[u8]>) {
        match value {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    /// A field whose key is data (a label's), so escaped like a value.
    pub fn entry(&mut self, key: &[u8], value: &[u8]) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        json_str(self.out, key);
        self.out.push(':');
        json_str(self.out, value);
    }

    /// A number (its digits as given) whose key is data.
    pub fn raw_entry(&mut self, key: &[u8], digits: &[u8]) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        json_str(self.out, key);
        self.out.push(':');
        self.out.extend(digits.iter().map(|&b| b as char));
    }

    /// A null whose key is data.
    pub fn null_entry(&mut self, key: &[u8]) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        json_str(self.out, key);
        self.out.push_str(":null");
    }

    pub fn null(&mut self, key: &str) {
        self.key(key);
        self.out.push_str("null");
    }

    pub fn object(&mut self, key: &str) -> Obj<'_> {
        self.key(key);
        Obj::open(self.out)
    }

    pub fn list(&mut self, key: &str) -> List<'_> {
        self.key(key);
        self.out.push('[');
        List {
            out: self.out,
            first: true,
        }
    }

    /// A record laurel lists (every type but SYSCALL, EXECVE, CWD and
    /// PROCTITLE) holding one item, which `fill` writes.
    pub fn record_list(&mut self, key: &str, fill: impl FnOnce(&mut Obj)) {
        let mut list = self.list(key);
        let mut item = list.object();
        fill(&mut item);
        item.end();
        list.end();
    }

    pub fn end(self) {
        self.out.push('}');
    }
}

pub struct List<'a> {
    pub(super) out: &'a mut String,
    first: bool,
}

impl List<'_> {
    pub(super) fn sep(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }

    pub fn str(&mut self, value: &[u8]) {
        self.sep();
        json_str(self.out, value);
    }

    pub fn object(&mut self) -> Obj<'_> {
        self.sep();
        Obj::open(self.out)
    }

    pub fn end(self) {
        self.out.push(']');
    }
}
