//! Text from the kernel is bytes: anything that is not printable UTF-8 is
//! percent-encoded (laurel's convention), so every line is valid UTF-8 and a
//! value can always be decoded back to the exact bytes.

/// Appends a JSON string literal of `raw`, percent-encoding control bytes,
/// `%`, and bytes that are not valid UTF-8.
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

/// Appends `%XX` for byte `b`.
pub fn percent(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[(b >> 4) as usize] as char);
    out.push(HEX[(b & 0xf) as usize] as char);
}

/// Printable ASCII that goes out as it is. Nearly every byte the kernel
/// gives is one: the fast path (profiling showed encoding char by char as
/// the costliest part of rendering).
fn plain(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'%')
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
                c if c.is_control() || c == '%' => {
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
