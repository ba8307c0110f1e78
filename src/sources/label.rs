//! Perfdata labels for single sources (`--perfdata-sources`): stable across
//! runs, unique per source, and safe in every consumer.
//!
//! `ntp_` + the address with `.` and `:` written `_` (`ntp_192_0_2_1`,
//! `ntp_2001_db8__1`), `ref_` + a reference clock's refid (`ref_GPS`), or
//! `ntp_id_` + the id in hex for a source whose name is not resolved yet.
//! An IPv4-mapped IPv6 address is labelled in hex (`ntp___ffff_c000_201`
//! for `::ffff:192.0.2.1`): its dotted form would give the label of
//! another address (`::ffff:192:0:2:1`).
//! Never a `::` (Icinga 2 reads `a::b` as a check_multi prefix), a quote,
//! a space or `=` (which would need quoting some parsers get wrong). An IPv4
//! address has 4 groups and an IPv6 one 8 or a `__`, so no two addresses
//! share a label.

use super::model::{Mode, Source};
use std::net::IpAddr;

/// The label prefix of `source`; metrics append `_reach`, `_offset`, ...
pub fn prefix(source: &Source) -> String {
    match (source.address, source.mode) {
        (Some(IpAddr::V6(v6)), _) if v6.to_ipv4_mapped().is_some() => {
            // Printed `::ffff:1.2.3.4`, which as `___ffff_1_2_3_4` would be
            // the label of `::ffff:1:2:3:4` too: its hex form instead.
            let [.., hi, lo] = v6.segments();
            format!("ntp___ffff_{hi:x}_{lo:x}")
        }
        (Some(ip), _) => format!("ntp_{}", ip.to_string().replace(['.', ':'], "_")),
        (None, Mode::RefClock) => format!("ref_{}", refid(source.name())),
        (None, _) => format!("ntp_{}", refid(source.name())),
    }
}

/// The label prefix of each of `sources`, in order: [`prefix`], and for a
/// second, third, ... source with the same prefix (chronyd accepts two
/// refclocks with one refid) `_n2`, `_n3`, ... after it, so that no two
/// sources share a label. An escape is `_` and two hex digits, so `_n`
/// never comes out of [`prefix`] itself.
pub fn prefixes<'a>(sources: impl IntoIterator<Item = &'a Source>) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    sources
        .into_iter()
        .map(|s| {
            let p = prefix(s);
            let n = seen.entry(p.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                p
            } else {
                format!("{p}_n{n}")
            }
        })
        .collect()
}

/// ASCII letters and digits as they are; any other byte as `_` and two hex
/// digits, so that distinct refids stay distinct (`GPS_` is `GPS_5f`).
fn refid(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("_{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::server;
    use super::super::model::Selection;
    use super::*;

    fn label(address: &str) -> String {
        prefix(&server(address, Selection::Selected))
    }

    fn refclock(id: &str) -> String {
        prefix(&Source {
            name: id.to_string(),
            address: None,
            mode: Mode::RefClock,
            ..server("127.0.0.1", Selection::Selected)
        })
    }

    #[test]
    fn ipv4_and_ipv6() {
        assert_eq!(label("192.0.2.1"), "ntp_192_0_2_1");
        assert_eq!(label("2001:db8::1"), "ntp_2001_db8__1");
        assert_eq!(label("::1"), "ntp___1");
        assert_eq!(label("::ffff:192.0.2.1"), "ntp___ffff_c000_201");
    }

    #[test]
    fn ipv4_mapped_and_plain_ipv6_labels_differ() {
        // `::ffff:1.2.3.4` and `::ffff:1:2:3:4` are two addresses.
        assert_ne!(label("::ffff:1.2.3.4"), label("::ffff:1:2:3:4"));
        assert_eq!(label("::ffff:1.2.3.4"), label("::ffff:102:304"));
    }

    #[test]
    fn refclocks() {
        assert_eq!(refclock("GPS"), "ref_GPS");
        assert_eq!(refclock("PPS1"), "ref_PPS1");
        assert_eq!(refclock("G-S"), "ref_G_2dS");
        assert_eq!(refclock("G_S"), "ref_G_5fS");
    }

    #[test]
    fn two_refclocks_with_one_refid_get_two_labels() {
        let dup = Source {
            name: "DUP".to_string(),
            address: None,
            mode: Mode::RefClock,
            ..server("127.0.0.1", Selection::Nonselectable)
        };
        let gps = Source {
            name: "GPS".to_string(),
            ..dup.clone()
        };
        let list = [dup.clone(), gps, dup.clone(), dup];
        assert_eq!(
            prefixes(&list),
            ["ref_DUP", "ref_GPS", "ref_DUP_n2", "ref_DUP_n3"]
        );
    }

    #[test]
    fn unresolved_source() {
        let s = Source {
            name: "ID#0000000001".to_string(),
            address: None,
            ..server("127.0.0.1", Selection::Nonselectable)
        };
        assert_eq!(prefix(&s), "ntp_ID_230000000001");
    }

    #[test]
    fn never_unsafe_characters() {
        for l in [
            label("fe80::1:2:3:4"),
            label("2001:db8:0:0:1:0:0:1"),
            refclock("a=b'"),
            refclock("a b:"),
        ] {
            assert!(!l.contains("::"), "{l}");
            assert!(
                l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "{l}"
            );
        }
    }
}
