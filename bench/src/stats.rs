//! Medians and spread of repeated measurements.

use serde_json::{json, Value};

pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// `{median, min, max, spread_pct, samples}`; spread is (max-min)/median.
pub fn summary(values: &[f64]) -> Value {
    let m = median(values);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    json!({
        "median": round(m),
        "min": round(min),
        "max": round(max),
        "spread_pct": round((max - min) / m * 100.0),
        "samples": values.iter().map(|&v| round(v)).collect::<Vec<_>>(),
    })
}

/// Three significant decimals are plenty; NaN and infinities become null.
pub fn round(x: f64) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    let r = (x * 1000.0).round() / 1000.0;
    json!(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
        assert_eq!(summary(&[1.0, 2.0, 3.0])["spread_pct"], 100.0);
    }
}
