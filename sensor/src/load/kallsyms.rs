//! Kernel symbol addresses the programs compare pointers with, from
//! /proc/kallsyms (readable with CAP_SYSLOG; shown as zeros without it,
//! or when `kernel.kptr_restrict` is 2).

/// The address of `name`, if /proc/kallsyms shows it.
pub fn address(name: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/kallsyms").ok()?;
    find(&text, name)
}

/// `ADDRESS TYPE NAME [MODULE]` lines; a text symbol of the kernel proper.
fn find(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let mut fields = line.split_ascii_whitespace();
        let address = fields.next()?;
        let kind = fields.next()?;
        (matches!(kind, "t" | "T") && fields.next()? == name && fields.next().is_none())
            .then(|| u64::from_str_radix(address, 16).ok())
            .flatten()
            .filter(|&a| a != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_symbol_of_the_kernel_is_found_and_a_hidden_one_is_not() {
        let text = "ffffffff81000000 T _stext\n\
                    ffffffff81234560 t ____fput\n\
                    ffffffffc0001000 t ____fput\t[some_module]\n";
        assert_eq!(find(text, "____fput"), Some(0xffff_ffff_8123_4560));
        assert_eq!(find("0000000000000000 t ____fput\n", "____fput"), None);
        assert_eq!(find(text, "fput"), None);
    }

    #[test]
    fn this_kernel_shows_fput_to_root() {
        assert!(address("____fput").is_some());
    }
}
