//! Text from the kernel is bytes: anything that is not printable UTF-8 is
//! percent-encoded (laurel's convention), so every line is valid UTF-8 and a
//! value can always be decoded back to the exact bytes.

use std::fmt::Write;

/// Appends a JSON string literal of `raw`, percent-encoding control bytes,
/// `%`, and bytes that are not valid UTF-8.
pub fn json_str(out: &mut String, raw: &[u8]) {
    out.push('"');
    encode(out, raw);
    out.push('"');
}

fn encode(out: &mut String, raw: &[u8]) {
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                c if c.is_control() || c == '%' => {
                    let mut buf = [0; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        let _ = write!(out, "%{b:02X}");
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(raw: &[u8]) -> String {
        let mut s = String::new();
        json_str(&mut s, raw);
        s
    }

    #[test]
    fn non_utf8_control_and_percent_are_encoded() {
        assert_eq!(enc(b"plain text"), "\"plain text\"");
        assert_eq!(enc(b"a\xffb"), "\"a%FFb\"");
        assert_eq!(enc(b"tab\there\n"), "\"tab%09here%0A\"");
        assert_eq!(enc(b"100%"), "\"100%25\"");
        assert_eq!(enc("café".as_bytes()), "\"café\"");
        assert_eq!(enc(b"say \"hi\" \\o/"), "\"say \\\"hi\\\" \\\\o/\"");
    }

    #[test]
    fn the_output_is_valid_json_for_any_bytes() {
        let all: Vec<u8> = (0..=255).collect();
        let s = enc(&all);
        let back: String = serde_json::from_str(&s).unwrap();
        assert!(back.chars().all(|c| !c.is_control()));
    }
}
