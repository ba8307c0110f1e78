//! Where chronyd listens: a Unix socket path or an IP command port, and the
//! `auto` list of places tried in order.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// chronyd's default UDP command port.
pub const DEFAULT_PORT: u16 = 323;

/// Longest Unix socket path the kernel takes (`sun_path` is 108 bytes with the NUL).
pub const MAX_SOCKET_PATH: usize = 107;

/// What libchrony adds beside a Unix server socket for its own client socket:
/// `/libchrony.<12 random>/<16 random>/sock`.
const CLIENT_SOCKET_SUFFIX_LEN: usize = "/libchrony.XXXXXXXXXXXX/XXXXXXXXXXXXXXXX/sock".len();

/// The places `auto` tries, in order: the Unix socket (root and chronyd's user
/// only), then the UDP command port on loopback (open to unprivileged users).
pub const AUTO_CANDIDATES: &[&str] = &[
    "/run/chrony/chronyd.sock",
    "/var/run/chrony/chronyd.sock",
    "127.0.0.1:323",
    "[::1]:323",
];

/// One place chronyd answers commands.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// chronyd's Unix command socket (`bindcmdaddress /path`).
    Unix(PathBuf),
    /// chronyd's UDP command port (`cmdport`, default 323).
    Udp(SocketAddr),
}

impl Address {
    /// The string libchrony's `chrony_open_socket` takes.
    pub(crate) fn to_libchrony(&self) -> String {
        match self {
            Address::Unix(path) => path.to_string_lossy().into_owned(),
            Address::Udp(sa) => sa.to_string(),
        }
    }

    /// Whether this is a UDP address (where requests can get lost and are resent).
    pub fn is_udp(&self) -> bool {
        matches!(self, Address::Udp(_))
    }
}

impl fmt::Display for Address {
    /// A path as text, any control character or line break escaped (the
    /// parser refuses them, but `Address::Unix` can be built directly).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Unix(path) => f.write_str(&crate::text::one_line(&path.to_string_lossy())),
            Address::Udp(sa) => write!(f, "{sa}"),
        }
    }
}

/// Why an address string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressError {
    input: String,
    why: String,
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid chronyd address '{}': {}",
            crate::text::one_line(&self.input),
            self.why
        )
    }
}

impl std::error::Error for AddressError {}

fn bad(input: &str, why: impl Into<String>) -> AddressError {
    AddressError {
        input: input.to_string(),
        why: why.into(),
    }
}

impl FromStr for Address {
    type Err = AddressError;

    /// Accepts `/abs/path.sock`, `192.0.2.1`, `192.0.2.1:323`, `2001:db8::1`,
    /// `[2001:db8::1]` and `[2001:db8::1]:323`.
    fn from_str(s: &str) -> Result<Address, AddressError> {
        if s.is_empty() {
            return Err(bad(s, "empty (use 'auto', a socket path or an IP address)"));
        }
        if s.starts_with('/') {
            return parse_unix(s);
        }
        if s.starts_with('.') || s.contains('/') {
            return Err(bad(s, "a Unix socket path must be absolute"));
        }
        if let Some(rest) = s.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| bad(s, "missing ']' after the IPv6 address"))?;
            let ip: Ipv6Addr = host
                .parse()
                .map_err(|_| bad(s, format!("'{host}' is not an IPv6 address")))?;
            let port = match after {
                "" => DEFAULT_PORT,
                _ => match after.strip_prefix(':') {
                    Some(p) => parse_port(s, p)?,
                    None => return Err(bad(s, "expected ':PORT' after ']'")),
                },
            };
            return Ok(Address::Udp(SocketAddr::new(IpAddr::V6(ip), port)));
        }
        if let Ok(ip) = s.parse::<Ipv6Addr>() {
            return Ok(Address::Udp(SocketAddr::new(IpAddr::V6(ip), DEFAULT_PORT)));
        }
        if let Ok(ip) = s.parse::<Ipv4Addr>() {
            return Ok(Address::Udp(SocketAddr::new(IpAddr::V4(ip), DEFAULT_PORT)));
        }
        if let Some((host, port)) = s.rsplit_once(':') {
            if host.contains(':') {
                return Err(bad(
                    s,
                    "write an IPv6 address with a port as [ADDRESS]:PORT",
                ));
            }
            if let Ok(ip) = host.parse::<Ipv4Addr>() {
                return Ok(Address::Udp(SocketAddr::new(
                    IpAddr::V4(ip),
                    parse_port(s, port)?,
                )));
            }
            return Err(bad(
                s,
                format!("'{host}' is not an IP address (host names are not resolved)"),
            ));
        }
        Err(bad(
            s,
            "not a socket path or an IP address (host names are not resolved; use 'auto', /path/to/chronyd.sock, 127.0.0.1[:323] or [::1][:323])",
        ))
    }
}

fn parse_port(input: &str, port: &str) -> Result<u16, AddressError> {
    match port.parse::<u16>() {
        Ok(0) => Err(bad(input, "port 0 is not a valid command port")),
        Ok(p) if port.chars().all(|c| c.is_ascii_digit()) => Ok(p),
        _ => Err(bad(
            input,
            format!("'{port}' is not a port number (1-65535)"),
        )),
    }
}

fn parse_unix(s: &str) -> Result<Address, AddressError> {
    if s.ends_with('/') {
        return Err(bad(s, "the path names a directory, not a socket"));
    }
    check_unix_path(Path::new(s)).map_err(|why| bad(s, why))?;
    Ok(Address::Unix(PathBuf::from(s)))
}

/// Checks that libchrony can use `path` as a server socket: it fits
/// `sun_path`, and so does libchrony's client socket in the same directory.
pub(crate) fn check_unix_path(path: &Path) -> Result<(), String> {
    let len = path.as_os_str().len();
    if path.as_os_str().as_encoded_bytes().contains(&0) {
        return Err("the path contains a NUL byte".into());
    }
    // No real socket path has one, and it would break every line-based
    // output that quotes the address (collectd, Telegraf, Nagios): C0 and
    // C1 controls, NEL, U+2028/U+2029 (see crate::text). A path that is not
    // UTF-8 is checked byte-wise for C0 controls and DEL.
    let bytes = path.as_os_str().as_encoded_bytes();
    let unsafe_char = match std::str::from_utf8(bytes) {
        Ok(text) => crate::text::first_unsafe(text),
        Err(_) => bytes
            .iter()
            .find(|b| b.is_ascii_control())
            .map(|&b| char::from(b)),
    };
    if let Some(c) = unsafe_char {
        return Err(format!("the path {}", crate::text::unsafe_char_reason(c)));
    }
    if len > MAX_SOCKET_PATH {
        return Err(format!(
            "the path is {len} bytes long; a Unix socket path can have at most {MAX_SOCKET_PATH}"
        ));
    }
    let dir_len = path.parent().map(|p| p.as_os_str().len()).unwrap_or(0);
    if dir_len + CLIENT_SOCKET_SUFFIX_LEN > MAX_SOCKET_PATH {
        return Err(format!(
            "the socket's directory is {dir_len} bytes long; libchrony creates its own client socket there and needs the directory to be at most {} bytes",
            MAX_SOCKET_PATH - CLIENT_SOCKET_SUFFIX_LEN
        ));
    }
    Ok(())
}

/// What the user asked to read from: one address, or a list tried in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Exactly this address.
    One(Address),
    /// These addresses in order; the first that answers is used.
    /// `auto` is [`AUTO_CANDIDATES`]; `a,b` is a list of the user's own.
    FirstOf {
        /// The candidates, in order.
        candidates: Vec<Address>,
        /// Whether this is the built-in `auto` list.
        auto: bool,
    },
}

impl Target {
    /// The built-in `auto` list.
    pub fn auto() -> Target {
        Target::FirstOf {
            candidates: AUTO_CANDIDATES
                .iter()
                .map(|s| s.parse().expect("built-in candidates parse"))
                .collect(),
            auto: true,
        }
    }

    /// Whether the user named the address explicitly (not `auto`).
    pub fn is_explicit(&self) -> bool {
        !matches!(self, Target::FirstOf { auto: true, .. })
    }

    /// The candidates in the order they are tried.
    pub fn candidates(&self) -> &[Address] {
        match self {
            Target::One(a) => std::slice::from_ref(a),
            Target::FirstOf { candidates, .. } => candidates,
        }
    }
}

impl Default for Target {
    fn default() -> Target {
        Target::auto()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::One(a) => write!(f, "{a}"),
            Target::FirstOf { auto: true, .. } => f.write_str("auto"),
            Target::FirstOf { candidates, .. } => {
                for (i, a) in candidates.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{a}")?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for Target {
    type Err = AddressError;

    /// `auto`, one address, or a comma-separated list tried in order.
    fn from_str(s: &str) -> Result<Target, AddressError> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Target::auto());
        }
        if !s.contains(',') {
            return Ok(Target::One(s.parse()?));
        }
        let candidates = s
            .split(',')
            .map(|part| part.trim().parse())
            .collect::<Result<Vec<Address>, _>>()?;
        Ok(Target::FirstOf {
            candidates,
            auto: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn udp(s: &str) -> Address {
        Address::Udp(s.parse().unwrap())
    }

    #[test]
    fn unix_path() {
        assert_eq!(
            "/run/chrony/chronyd.sock".parse::<Address>().unwrap(),
            Address::Unix("/run/chrony/chronyd.sock".into())
        );
    }

    #[test]
    fn ipv4_default_port() {
        assert_eq!(
            "192.0.2.1".parse::<Address>().unwrap(),
            udp("192.0.2.1:323")
        );
    }

    #[test]
    fn ipv4_with_port() {
        assert_eq!(
            "127.0.0.1:10323".parse::<Address>().unwrap(),
            udp("127.0.0.1:10323")
        );
    }

    #[test]
    fn ipv6_bare() {
        assert_eq!(
            "2001:db8::1".parse::<Address>().unwrap(),
            udp("[2001:db8::1]:323")
        );
        assert_eq!("::1".parse::<Address>().unwrap(), udp("[::1]:323"));
    }

    #[test]
    fn ipv6_bracketed() {
        assert_eq!("[::1]".parse::<Address>().unwrap(), udp("[::1]:323"));
        assert_eq!(
            "[2001:db8::1]:4000".parse::<Address>().unwrap(),
            udp("[2001:db8::1]:4000")
        );
    }

    #[test]
    fn libchrony_forms() {
        assert_eq!(udp("[::1]:323").to_libchrony(), "[::1]:323");
        assert_eq!(udp("127.0.0.1:323").to_libchrony(), "127.0.0.1:323");
    }

    #[test]
    fn invalid_empty() {
        assert!("".parse::<Address>().is_err());
    }

    #[test]
    fn invalid_hostname() {
        let e = "ntp.example.com"
            .parse::<Address>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("host names are not resolved"), "{e}");
        assert!("localhost:323".parse::<Address>().is_err());
    }

    #[test]
    fn invalid_relative_path() {
        assert!("chronyd.sock/x".parse::<Address>().is_err());
        assert!("./chronyd.sock".parse::<Address>().is_err());
    }

    #[test]
    fn invalid_ports() {
        for s in [
            "127.0.0.1:0",
            "127.0.0.1:65536",
            "127.0.0.1:",
            "127.0.0.1:+5",
            "[::1]:x",
            "[::1]x",
        ] {
            assert!(s.parse::<Address>().is_err(), "{s}");
        }
    }

    #[test]
    fn invalid_ipv6_unbracketed_port() {
        let e = "fe80::1::323".parse::<Address>().unwrap_err().to_string();
        assert!(e.contains("[ADDRESS]:PORT"), "{e}");
    }

    #[test]
    fn invalid_unclosed_bracket() {
        assert!("[::1".parse::<Address>().is_err());
        assert!("[not-ip]:323".parse::<Address>().is_err());
    }

    #[test]
    fn invalid_path_too_long() {
        let long = format!("/{}", "a".repeat(MAX_SOCKET_PATH));
        let e = long.parse::<Address>().unwrap_err().to_string();
        assert!(e.contains("at most 107"), "{e}");
    }

    #[test]
    fn invalid_dir_too_long_for_client_socket() {
        let dir = format!("/{}", "d".repeat(70));
        let e = format!("{dir}/s")
            .parse::<Address>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("client socket"), "{e}");
    }

    #[test]
    fn invalid_nul() {
        assert!("/run/chrony\0/x".parse::<Address>().is_err());
    }

    #[test]
    fn invalid_control_character() {
        let e = "/tmp/no\nPUTVAL x/y/gauge N:1"
            .parse::<Address>()
            .unwrap_err();
        assert!(e.to_string().contains("control character"), "{e}");
        assert_eq!(e.to_string().lines().count(), 1, "{e}");
    }

    /// NEL and LINE SEPARATOR passed the ASCII-only test: such a path was
    /// accepted and broke the status line wherever it was quoted.
    #[test]
    fn invalid_unicode_line_breaks_and_controls() {
        for bad in [
            "/tmp/a\u{85}b.sock",
            "/tmp/a\u{2028}b.sock",
            "/tmp/a\u{2029}b.sock",
            "/tmp/a\u{9b}b.sock",
            "/tmp/a\rE! b.sock",
            "/tmp/a\u{1b}[2Kb.sock",
            "/tmp/a\u{202e}b.sock",
        ] {
            let e = bad.parse::<Address>().unwrap_err().to_string();
            assert!(
                e.contains("control character or line break"),
                "{bad:?}: {e}"
            );
            assert_eq!(crate::text::first_unsafe(&e), None, "{bad:?}: {e}");
        }
    }

    #[test]
    fn display_escapes_a_path_built_directly() {
        let a = Address::Unix("/tmp/x\u{2028}E! y".into());
        assert_eq!(a.to_string(), "/tmp/x\\u{2028}E! y");
    }

    #[test]
    fn non_ascii_path_accepted() {
        assert!("/tmp/chrönyd/sock".parse::<Address>().is_ok());
    }

    #[test]
    fn invalid_trailing_slash() {
        assert!("/run/chrony/".parse::<Address>().is_err());
    }

    #[test]
    fn target_auto() {
        let t: Target = "auto".parse().unwrap();
        assert!(!t.is_explicit());
        assert_eq!(t.candidates().len(), 4);
        assert_eq!(t.to_string(), "auto");
    }

    #[test]
    fn target_list() {
        let t: Target = "/tmp/x/chronyd.sock, 127.0.0.1:999".parse().unwrap();
        assert!(t.is_explicit());
        assert_eq!(
            t.candidates(),
            &[
                Address::Unix("/tmp/x/chronyd.sock".into()),
                udp("127.0.0.1:999")
            ]
        );
        assert_eq!(t.to_string(), "/tmp/x/chronyd.sock,127.0.0.1:999");
    }

    #[test]
    fn target_list_with_bad_member() {
        assert!("127.0.0.1,,::1".parse::<Target>().is_err());
    }

    #[test]
    fn target_one() {
        let t: Target = "::1".parse().unwrap();
        assert_eq!(t, Target::One(udp("[::1]:323")));
        assert!(t.is_explicit());
    }
}
