//! `compare OLD NEW`: every figure two result files share (medians, not
//! single samples), side by side with the change.

use std::{fs, path::Path};

use anyhow::{Context, Result};
use serde_json::Value;

fn load(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a results file (JSON)", path.display()))
}

/// Numeric leaves as `a.b.c` paths; sample lists and spreads left out.
fn figures(v: &Value, path: &str, out: &mut Vec<(String, f64)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if matches!(k.as_str(), "samples" | "min" | "max" | "spread_pct") {
                    continue;
                }
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                figures(v, &p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                // Goals and sweep steps are better named by their label.
                let label = v["goal"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| v["target_per_s"].as_u64().map(|t| t.to_string()))
                    .unwrap_or_else(|| i.to_string());
                figures(v, &format!("{path}[{label}]"), out);
            }
        }
        Value::Number(n) => out.extend(n.as_f64().map(|x| (path.to_owned(), x))),
        _ => {}
    }
}

pub fn compare(old: &Path, new: &Path) -> Result<()> {
    let (a, b) = (load(old)?, load(new)?);
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    figures(&a, "", &mut fa);
    figures(&b, "", &mut fb);
    println!(
        "old: {} ({}, commit {})\nnew: {} ({}, commit {})\n",
        old.display(),
        a["date"].as_str().unwrap_or("?"),
        a["commit"].as_str().unwrap_or("?"),
        new.display(),
        b["date"].as_str().unwrap_or("?"),
        b["commit"].as_str().unwrap_or("?"),
    );
    println!(
        "{:<78} {:>14} {:>14} {:>9}",
        "figure", "old", "new", "change"
    );
    for (path, x) in &fa {
        let Some((_, y)) = fb.iter().find(|(p, _)| p == path) else {
            continue;
        };
        let change = if *x != 0.0 {
            format!("{:+.1}%", (y - x) / x.abs() * 100.0)
        } else if *y == 0.0 {
            "=".into()
        } else {
            "new".into()
        };
        println!("{path:<78} {x:>14.3} {y:>14.3} {change:>9}");
    }
    let only = |from: &[(String, f64)], other: &[(String, f64)]| -> Vec<String> {
        from.iter()
            .filter(|(p, _)| !other.iter().any(|(q, _)| q == p))
            .map(|(p, _)| p.clone())
            .collect()
    };
    for (label, list) in [
        ("only in old", only(&fa, &fb)),
        ("only in new", only(&fb, &fa)),
    ] {
        if !list.is_empty() {
            println!("\n{label}: {}", list.join(", "));
        }
    }
    Ok(())
}
