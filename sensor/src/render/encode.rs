//! Text from the kernel is bytes: laurel's encoding makes every line valid
//! UTF-8 and every value decodable back to the exact bytes. Printable ASCII
//! and valid UTF-8 characters stay as they are; `%`, `+`, control bytes,
//! DEL, the byte order mark and bytes that are not valid UTF-8 are
//! percent-encoded in lower-case hex (`%25`, `%2b`, `%0a`, `%ff`); then `"`
//! and `\` are escaped as JSON requires.

/// Appends a JSON string literal of `raw`, encoded as laurel encodes it.
pub fn json_str(out: &mut String, raw: &[u8]) {
    out.push('"');
    encode(out, raw);
    out.push('"');
}

/// An integer, written without the formatting machinery (profiling showed
/// `fmt::write` taking a tenth of JSON rendering).
pub trait Int: Copy {
    /// Whether it is negative, and its magnitude.
    fn sign_magnitude(self) -> (bool, u64);
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(impl Int for $t {
        fn sign_magnitude(self) -> (bool, u64) { (false, self as u64) }
    })*};
}
macro_rules! signed {
    ($($t:ty),*) => {$(impl Int for $t {
        fn sign_magnitude(self) -> (bool, u64) { (self < 0, (self as i64).unsigned_abs()) }
    })*};
}
unsigned!(u8, u16, u32, u64, usize);
signed!(i8, i16, i32, i64);

/// Appends the decimal digits of `value`.
pub fn push_int(out: &mut String, value: impl Int) {
    let (negative, mut n) = value.sign_magnitude();
    let mut buf = [0u8; 21];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if negative {
        i -= 1;
        buf[i] = b'-';
    }
    // SAFETY: ASCII digits and '-'.
    out.push_str(unsafe { std::str::from_utf8_unchecked(&buf[i..]) });
}

/// Appends `%xx` for byte `b`.
pub fn percent(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('%');
    out.push(HEX[(b >> 4) as usize] as char);
    out.push(HEX[(b & 0xf) as usize] as char);
}

/// Printable ASCII that goes out as it is. Nearly every byte the kernel
/// gives is one: the fast path (profiling showed encoding char by char as
/// the costliest part of rendering).
fn plain(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'%' | b'+')
}

fn encode(out: &mut String, raw: &[u8]) {
    let n = raw.iter().position(|&b| !plain(b)).unwrap_or(raw.len());
    let (ascii, rest) = raw.split_at(n);
    // SAFETY: `plain` bytes are ASCII, which is UTF-8.
    out.push_str(unsafe { std::str::from_utf8_unchecked(ascii) });
    if !rest.is_empty() {
        encode_slow(out, rest);
    }
}

fn encode_slow(out: &mut String, raw: &[u8]) {
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                // U+FEFF is valid UTF-8 that laurel encodes all the same;
                // other characters past ASCII (C1 controls included) stay.
                c if c.is_ascii_control() || matches!(c, '%' | '+' | '\u{feff}') => {
                    let mut buf = [0; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        percent(out, b);
                    }
                }
                c => out.push(c),
            }
        }
        for &b in chunk.invalid() {
            percent(out, b);
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
    fn integers_are_written_in_decimal() {
        let mut s = String::new();
        for v in [0i64, 7, -1, i64::MIN, i64::MAX] {
            push_int(&mut s, v);
            s.push(' ');
        }
        push_int(&mut s, u64::MAX);
        assert_eq!(s, format!("0 7 -1 {} {} {}", i64::MIN, i64::MAX, u64::MAX));
    }

    #[test]
    fn non_utf8_control_and_percent_are_encoded() {
        assert_eq!(enc(b"plain text"), "\"plain text\"");
        assert_eq!(enc(b"a\xffb"), "\"a%ffb\"");
        assert_eq!(enc(b"tab\there\n"), "\"tab%09here%0a\"");
        assert_eq!(enc(b"100%"), "\"100%25\"");
        assert_eq!(enc(b"a+b"), "\"a%2bb\"");
        assert_eq!(enc(b"\x7f"), "\"%7f\"");
        assert_eq!(enc("café".as_bytes()), "\"café\"");
        assert_eq!(enc(b"say \"hi\" \\o/"), "\"say \\\"hi\\\" \\\\o/\"");
    }

    /// laurel's own serializer tests (laurel 0.8.2, src/json.rs and
    /// src/quote.rs), byte for byte.
    #[test]
    fn laurels_cases_encode_as_laurel_encodes_them() {
        for (raw, want) in [
            (&b" "[..], " "),
            (b"asdf", "asdf"),
            (b"+", "%2b"),
            (b"%", "%25"),
            (b"+++", "%2b%2b%2b"),
            (b"%+%", "%25%2b%25"),
            (b"\xc3\xa4", "ä"),
            (b"\xe2\x82\xac", "€"),
            (b"\xf0\x9f\x92\x96", "💖"),
            (b"abcd\xc3\xa4\xc3\xb6\xc3\xbcefgh", "abcdäöüefgh"),
            (b"\xc3\xc3\xa4", "%c3ä"),
            (b"\xf0\xf0\x9f\x92\x96", "%f0💖"),
            (b"\xf0\xf0\x9f\x92\x96\xf0", "%f0💖%f0"),
            (b"\xf0\x9f\xf0\x9f\x92\x96", "%f0%9f💖"),
            (b"\xf0\x9f\x92\xf0\x9f\x92\x96", "%f0%9f%92💖"),
            (b"\xed\xa0\x80", "%ed%a0%80"),
            (b"\xef\xbb\xbf", "%ef%bb%bf"),
            (b"\xc2\x85", "\u{85}"),
        ] {
            assert_eq!(enc(raw), format!("\"{want}\""), "{raw:?}");
        }
    }

    #[test]
    fn the_output_is_valid_json_for_any_bytes() {
        let all: Vec<u8> = (0..=255).collect();
        let s = enc(&all);
        let back: String = serde_json::from_str(&s).unwrap();
        assert!(back.chars().all(|c| !c.is_control()));
    }
}
