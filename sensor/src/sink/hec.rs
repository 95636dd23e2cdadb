//! `http(s)://…/services/collector/event`: Splunk's HTTP Event
//! Collector. Each chunk of lines is one request of concatenated HEC
//! events (a JSON line becomes the event object itself, an auditd line a
//! string), with `time` from the record's ID, `host` the node, and
//! `index`, `source`, `sourcetype` from the options; gzipped unless
//! `gzip=false`. The token (`Authorization: Splunk …`) comes from
//! `token_env` (default `SPLUNK_HEC_TOKEN`) or `token_file`.

use anyhow::{Context, Result};
use serde_json::Value;

use super::{
    http::{self, Endpoint},
    SinkOptions,
};

pub struct HecSink {
    endpoint: Endpoint,
    authorization: String,
    /// `"host":…,"index":…` and the rest, the same for every event.
    metadata: String,
    gzip: bool,
    body: Vec<u8>,
}

impl HecSink {
    pub fn new(endpoint: Endpoint, o: &SinkOptions, node: &str) -> Result<Self> {
        let mut o = o.clone();
        if o.token_env.is_none() && o.token_file.is_none() {
            o.token_env = Some("SPLUNK_HEC_TOKEN".into());
        }
        let token = http::token(&o)?.context("a Splunk HEC output needs a token")?;
        let mut metadata = format!("\"host\":{}", Value::from(node));
        for (k, v) in [
            ("index", &o.index),
            ("source", &o.source),
            ("sourcetype", &o.sourcetype),
        ] {
            if let Some(v) = v {
                metadata.push_str(&format!(",\"{k}\":{}", Value::from(v.as_str())));
            }
        }
        Ok(Self {
            endpoint,
            authorization: format!("Splunk {token}"),
            metadata,
            gzip: o.gzip.unwrap_or(true),
            body: Vec::new(),
        })
    }

    pub fn disconnect(&mut self) {
        self.endpoint.disconnect();
    }

    pub async fn post(&mut self, lines: &[u8]) -> Result<()> {
        self.body.clear();
        for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let text = String::from_utf8_lossy(line);
            self.body.extend_from_slice(b"{");
            if let Some(time) = event_time(&text) {
                self.body
                    .extend_from_slice(format!("\"time\":{time},").as_bytes());
            }
            self.body.extend_from_slice(self.metadata.as_bytes());
            self.body.extend_from_slice(b",\"event\":");
            if text.starts_with('{') {
                // The sensor's own JSON rendering: one valid object.
                self.body.extend_from_slice(text.as_bytes());
            } else {
                self.body
                    .extend_from_slice(Value::from(text.as_ref()).to_string().as_bytes());
            }
            self.body.extend_from_slice(b"}\n");
        }
        let headers = vec![
            ("Authorization", self.authorization.as_str()),
            ("Content-Type", "application/json"),
        ];
        http::post_body(&mut self.endpoint, headers, &self.body, self.gzip).await
    }
}

/// `sec.msec` of the record's ID: JSON `{"ID":"1795412195.173:4",…` or
/// auditd `msg=audit(1795412195.173:4)`.
fn event_time(line: &str) -> Option<&str> {
    let start = line
        .strip_prefix("{\"ID\":\"")
        .or_else(|| line.split_once("msg=audit(").map(|(_, r)| r))?;
    let end = start.find(':')?;
    let t = &start[..end];
    t.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.')
        .then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_comes_from_the_id() {
        assert_eq!(
            event_time(r#"{"ID":"1795412195.173:4","NODE":"vm"}"#),
            Some("1795412195.173")
        );
        assert_eq!(
            event_time("node=vm type=SYSCALL msg=audit(1795414259.818:86): arch=c000003e"),
            Some("1795414259.818")
        );
        assert_eq!(event_time("nothing"), None);
    }
}
