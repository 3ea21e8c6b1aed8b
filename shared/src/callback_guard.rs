//! Callback URL safety: pollhook POSTs to URLs its users choose, so without a guard a user
//! could make it probe the operator's network or a cloud metadata service (SSRF).
//!
//! Checked at registration (IP literals directly; names resolved, but a name that does not
//! resolve yet is accepted) and again at delivery, because DNS can change. At delivery the
//! check runs inside the HTTP client's resolver (`guarded_client`), so the addresses checked
//! are the ones connected to: no DNS-rebinding gap between check and connect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// How long a name may take to resolve before we give up.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a callback or vendor address is refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GuardError {
    #[error("host '{host}' {verb} {ip}, {article} {class} address; pollhook refuses private, loopback, link-local and metadata addresses unless the operator allows them (--allow-private-callbacks)", verb = verb(.host, .ip), article = article(.class))]
    Refused {
        host: String,
        ip: IpAddr,
        class: &'static str,
    },
    #[error("URL '{0}' has no host")]
    NoHost(String),
    #[error("URL '{0}' has no port and its scheme has no default one; use http or https")]
    NoPort(String),
    #[error("host '{host}' does not resolve ({reason}); the next attempt checks again")]
    Unresolvable { host: String, reason: String },
    #[error("host '{host}' did not resolve within {timeout:?}; the next attempt checks again")]
    ResolveTimeout { host: String, timeout: Duration },
}

/// "is" for an IP-literal host, "resolves to" for a name.
fn verb(host: &str, ip: &IpAddr) -> &'static str {
    if host.trim_matches(['[', ']']) == ip.to_string() {
        "is"
    } else {
        "resolves to"
    }
}

/// "a" or "an" before an address class, so messages read as English.
fn article(class: &str) -> &'static str {
    match class.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// The class of a non-public address, or `None` for a public one.
///
/// Conservative: anything not plainly global unicast is refused, including deprecated and
/// tunnelling ranges whose embedded IPv4 could point inside (IPv4-mapped and NAT64/6to4
/// addresses are classified by the IPv4 address they carry).
pub fn classify(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, d] = ip.octets();
    let class = match (a, b, c, d) {
        // Cloud metadata endpoints: AWS/GCP/Azure/OpenStack, Alibaba, Azure's WireServer.
        (169, 254, 169, 254) | (100, 100, 100, 200) | (168, 63, 129, 16) => "metadata",
        (0, 0, 0, 0) => "unspecified",
        (0, ..) => "this-network",
        (10, ..) | (172, 16..=31, ..) | (192, 168, ..) => "private",
        (100, 64..=127, ..) => "shared (CGNAT)",
        (127, ..) => "loopback",
        (169, 254, ..) => "link-local",
        (192, 0, 0, _) => "IETF protocol assignment",
        (192, 0, 2, _) | (198, 51, 100, _) | (203, 0, 113, _) => "documentation",
        (192, 88, 99, _) => "6to4 relay anycast",
        (198, 18..=19, ..) => "benchmarking",
        (255, 255, 255, 255) => "broadcast",
        (224..=239, ..) => "multicast",
        (240..=255, ..) => "reserved",
        _ => return None,
    };
    Some(class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let seg = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    let class = match seg {
        [0, 0, 0, 0, 0, 0, 0, 0] => "unspecified",
        [0, 0, 0, 0, 0, 0, 0, 1] => "loopback",
        // IPv4-compatible (deprecated): some stacks still route it to the IPv4 address.
        [0, 0, 0, 0, 0, 0, ..] => "IPv4-compatible (deprecated)",
        // NAT64: reaches the embedded IPv4 address, so judge that one.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => return classify_v4(embedded(hi, lo)),
        [0x64, 0xff9b, 1, ..] => "private (local NAT64)",
        [0x100, 0, 0, 0, ..] => "discard-only",
        [0x2001, 0xdb8, ..] | [0x3fff, 0..=0x0fff, ..] => "documentation",
        [0x2001, 0x2, 0, ..] => "benchmarking",
        // Teredo hides the client address; nobody needs it for a callback.
        [0x2001, 0, ..] => "Teredo tunnel",
        [0x2001, 0x10..=0x2f, ..] => "ORCHID",
        // 6to4: reaches the embedded IPv4 address, so judge that one.
        [0x2002, hi, lo, ..] => return classify_v4(embedded(hi, lo)),
        [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] => "metadata",
        [0xfc00..=0xfdff, ..] => "unique local",
        [0xfe80..=0xfebf, ..] => "link-local",
        [0xfec0..=0xfeff, ..] => "site-local (deprecated)",
        [0xff00..=0xffff, ..] => "multicast",
        // Only 2000::/3 is allocated for global unicast.
        [s, ..] if s & 0xe000 != 0x2000 => "reserved",
        _ => return None,
    };
    Some(class)
}

/// Refuses callbacks to non-public addresses unless `allow_private` (the operator's
/// `--allow-private-callbacks`, set by the demo and tests).
#[derive(Clone, Debug)]
pub struct CallbackGuard {
    pub allow_private: bool,
}

impl CallbackGuard {
    /// At registration: an IP-literal host is checked directly; a name is resolved (2 s
    /// timeout) and refused if any address is non-public. A name that does not resolve, or
    /// not in time, is accepted: it may exist later, and each delivery checks again.
    pub async fn check_registration(&self, url: &url::Url) -> Result<(), GuardError> {
        let target = target(url)?;
        if self.allow_private {
            // Every address is allowed: no need to wait for DNS.
            return Ok(());
        }
        match target {
            Target::Ip(ip, _) => self.check_ip(&host_of(url), ip),
            Target::Name(host, port) => match resolve(&host, port).await {
                Ok(addrs) => self.check_all(&host, &addrs),
                Err(GuardError::Unresolvable { .. } | GuardError::ResolveTimeout { .. }) => Ok(()),
                Err(e) => Err(e),
            },
        }
    }

    /// At delivery: the addresses to connect to, refused if any is non-public (so a
    /// mixed DNS answer cannot smuggle an internal address); a name that does not
    /// resolve is an error here.
    pub async fn resolve_for_delivery(
        &self,
        url: &url::Url,
    ) -> Result<Vec<SocketAddr>, GuardError> {
        match target(url)? {
            Target::Ip(ip, port) => {
                self.check_ip(&host_of(url), ip)?;
                Ok(vec![SocketAddr::new(ip, port)])
            }
            Target::Name(host, port) => {
                let addrs = resolve(&host, port).await?;
                self.check_all(&host, &addrs)?;
                Ok(addrs)
            }
        }
    }

    /// Checks the host when it is an IP literal (a name passes: `guarded_client`'s resolver
    /// checks names). reqwest does not call its resolver for IP literals, so a deliverer
    /// using `guarded_client` must call this too: together they cover every URL.
    pub fn check_ip_literal(&self, url: &url::Url) -> Result<(), GuardError> {
        match target(url)? {
            Target::Ip(ip, _) => self.check_ip(&host_of(url), ip),
            Target::Name(..) => Ok(()),
        }
    }

    fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), GuardError> {
        match classify(ip) {
            Some(class) if !self.allow_private => Err(GuardError::Refused {
                host: host.to_string(),
                ip,
                class,
            }),
            _ => Ok(()),
        }
    }

    fn check_all(&self, host: &str, addrs: &[SocketAddr]) -> Result<(), GuardError> {
        addrs.iter().try_for_each(|a| self.check_ip(host, a.ip()))
    }
}

enum Target {
    Ip(IpAddr, u16),
    Name(String, u16),
}

fn host_of(url: &url::Url) -> String {
    url.host_str().unwrap_or_default().to_string()
}

/// The host of `url` as an address or a name, with its port. The `url` crate has already
/// normalised IPv4 spellings such as `http://2130706433/` or `http://127.1/` to addresses.
fn target(url: &url::Url) -> Result<Target, GuardError> {
    let port = url
        .port_or_known_default()
        .ok_or_else(|| GuardError::NoPort(url.to_string()))?;
    match url.host() {
        Some(url::Host::Ipv4(ip)) => Ok(Target::Ip(IpAddr::V4(ip), port)),
        Some(url::Host::Ipv6(ip)) => Ok(Target::Ip(IpAddr::V6(ip), port)),
        Some(url::Host::Domain(d)) if !d.is_empty() => Ok(Target::Name(d.to_string(), port)),
        _ => Err(GuardError::NoHost(url.to_string())),
    }
}

/// Resolves `host` with the system resolver, within `RESOLVE_TIMEOUT`.
async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, GuardError> {
    let lookup = tokio::net::lookup_host((host, port));
    match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
        Err(_) => Err(GuardError::ResolveTimeout {
            host: host.to_string(),
            timeout: RESOLVE_TIMEOUT,
        }),
        Ok(Err(e)) => Err(GuardError::Unresolvable {
            host: host.to_string(),
            reason: e.to_string(),
        }),
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(GuardError::Unresolvable {
                    host: host.to_string(),
                    reason: "no addresses".into(),
                })
            } else {
                Ok(addrs)
            }
        }
    }
}

#[cfg(feature = "elements")]
mod client {
    use std::sync::Arc;
    use std::time::Duration;

    use super::{resolve, CallbackGuard};

    /// reqwest's resolver hook: every name the client connects to is resolved and checked
    /// here, at connect time.
    struct GuardedResolver(CallbackGuard);

    impl reqwest::dns::Resolve for GuardedResolver {
        fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
            let guard = self.0.clone();
            let host = name.as_str().to_string();
            Box::pin(async move {
                // Port 0: reqwest substitutes the URL's port.
                let addrs = resolve(&host, 0).await?;
                guard.check_all(&host, &addrs)?;
                let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
                Ok(addrs)
            })
        }
    }

    /// A client for callbacks: never follows redirects (a public URL could redirect to an
    /// internal one), ignores proxy settings (through a proxy the resolver would check the
    /// proxy's address, not the callback's), and resolves names through the guard.
    ///
    /// IP-literal URLs skip the resolver: call `CallbackGuard::check_ip_literal` before
    /// sending. `guarded_client` + `check_ip_literal` together cover every URL.
    pub fn guarded_client(
        guard: CallbackGuard,
        timeout: Duration,
        user_agent: &str,
    ) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .user_agent(user_agent)
            .dns_resolver(Arc::new(GuardedResolver(guard)))
            .build()
            // As reqwest::Client::new(): fails only if the TLS backend cannot initialise.
            .expect("the HTTP client's TLS backend failed to initialise")
    }
}

#[cfg(feature = "elements")]
pub use client::guarded_client;

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).expect("test URL parses")
    }

    const DENY: CallbackGuard = CallbackGuard {
        allow_private: false,
    };
    const ALLOW: CallbackGuard = CallbackGuard {
        allow_private: true,
    };

    #[test]
    fn classification_table() {
        let table: &[(&str, Option<&str>)] = &[
            ("0.0.0.0", Some("unspecified")),
            ("0.1.2.3", Some("this-network")),
            ("10.0.0.1", Some("private")),
            ("172.16.0.1", Some("private")),
            ("172.31.255.255", Some("private")),
            ("172.32.0.1", None),
            ("192.168.1.1", Some("private")),
            ("100.64.0.1", Some("shared (CGNAT)")),
            ("100.127.255.255", Some("shared (CGNAT)")),
            ("100.128.0.1", None),
            ("127.0.0.1", Some("loopback")),
            ("127.255.0.9", Some("loopback")),
            ("169.254.169.254", Some("metadata")),
            ("100.100.100.200", Some("metadata")),
            ("168.63.129.16", Some("metadata")),
            ("169.254.1.1", Some("link-local")),
            ("192.0.0.8", Some("IETF protocol assignment")),
            ("192.0.2.1", Some("documentation")),
            ("198.51.100.7", Some("documentation")),
            ("203.0.113.9", Some("documentation")),
            ("192.88.99.1", Some("6to4 relay anycast")),
            ("198.18.0.1", Some("benchmarking")),
            ("198.19.255.255", Some("benchmarking")),
            ("198.20.0.1", None),
            ("224.0.0.1", Some("multicast")),
            ("239.255.255.250", Some("multicast")),
            ("240.0.0.1", Some("reserved")),
            ("255.255.255.255", Some("broadcast")),
            ("8.8.8.8", None),
            ("1.1.1.1", None),
            ("93.184.216.34", None),
            ("::", Some("unspecified")),
            ("::1", Some("loopback")),
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::ffff:10.1.2.3", Some("private")),
            ("::ffff:169.254.169.254", Some("metadata")),
            ("::ffff:8.8.8.8", None),
            ("::127.0.0.1", Some("IPv4-compatible (deprecated)")),
            ("64:ff9b::7f00:1", Some("loopback")),
            ("64:ff9b::808:808", None),
            ("64:ff9b:1::1", Some("private (local NAT64)")),
            ("100::1", Some("discard-only")),
            ("2001:db8::1", Some("documentation")),
            ("3fff::1", Some("documentation")),
            ("2001:2::1", Some("benchmarking")),
            ("2001:0:4136:e378::1", Some("Teredo tunnel")),
            ("2001:20::1", Some("ORCHID")),
            ("2002:7f00:1::1", Some("loopback")),
            ("2002:0808:0808::1", None),
            ("fd00:ec2::254", Some("metadata")),
            ("fd12:3456::1", Some("unique local")),
            ("fc00::1", Some("unique local")),
            ("fe80::1", Some("link-local")),
            ("febf::1", Some("link-local")),
            ("fec0::1", Some("site-local (deprecated)")),
            ("ff02::1", Some("multicast")),
            ("4000::1", Some("reserved")),
            ("2606:4700:4700::1111", None),
            ("2a00:1450:4001:80b::200e", None),
        ];
        assert!(table.len() >= 30);
        for (text, expected) in table {
            let ip: IpAddr = text.parse().expect("test address parses");
            assert_eq!(classify(ip), *expected, "{text}");
        }
    }

    #[tokio::test]
    async fn localhost_is_refused_at_registration_unless_allowed() {
        let u = url("http://localhost:8080/hook");
        let err = DENY.check_registration(&u).await.expect_err("refused");
        let GuardError::Refused { host, class, .. } = &err else {
            panic!("unexpected {err:?}");
        };
        assert_eq!(host, "localhost");
        assert_eq!(*class, "loopback");
        let msg = err.to_string();
        assert!(msg.contains("host 'localhost' resolves to"), "{msg}");
        assert!(msg.contains("a loopback address"), "{msg}");
        assert!(msg.contains("--allow-private-callbacks"), "{msg}");
        assert_eq!(ALLOW.check_registration(&u).await, Ok(()));
    }

    #[tokio::test]
    async fn ip_literals_are_checked_directly_in_every_spelling() {
        for raw in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://127.1/",
            "http://0x7f.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "https://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/",
        ] {
            let u = url(raw);
            assert!(DENY.check_registration(&u).await.is_err(), "{raw}");
            assert!(DENY.check_ip_literal(&u).is_err(), "{raw}");
            assert!(DENY.resolve_for_delivery(&u).await.is_err(), "{raw}");
            assert_eq!(ALLOW.check_ip_literal(&u), Ok(()), "{raw}");
        }
        let err = DENY
            .check_ip_literal(&url("http://10.0.0.5:9000/"))
            .expect_err("private");
        assert_eq!(
            err.to_string(),
            "host '10.0.0.5' is 10.0.0.5, a private address; pollhook refuses private, \
             loopback, link-local and metadata addresses unless the operator allows them \
             (--allow-private-callbacks)"
        );
        let err = DENY
            .check_ip_literal(&url("http://[fe80::1]/"))
            .expect_err("link-local");
        assert!(
            err.to_string().contains("is fe80::1, a link-local"),
            "{err}"
        );
        assert_eq!(
            DENY.resolve_for_delivery(&url("https://8.8.8.8/hook"))
                .await,
            Ok(vec!["8.8.8.8:443".parse().expect("addr")])
        );
        assert_eq!(DENY.check_ip_literal(&url("https://example.com/")), Ok(()));
    }

    #[tokio::test]
    async fn unresolvable_name_is_accepted_at_registration_and_refused_at_delivery() {
        let u = url("https://no-such-host.invalid/hook");
        assert_eq!(DENY.check_registration(&u).await, Ok(()));
        let err = DENY
            .resolve_for_delivery(&u)
            .await
            .expect_err("unresolvable");
        assert!(
            matches!(&err, GuardError::Unresolvable { host, .. } | GuardError::ResolveTimeout { host, .. } if host == "no-such-host.invalid"),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn delivery_resolution_refuses_localhost_and_returns_addresses_when_allowed() {
        let u = url("http://localhost:4321/");
        assert!(matches!(
            DENY.resolve_for_delivery(&u).await,
            Err(GuardError::Refused { .. })
        ));
        let addrs = ALLOW.resolve_for_delivery(&u).await.expect("resolves");
        assert!(!addrs.is_empty());
        assert!(addrs
            .iter()
            .all(|a| a.port() == 4321 && a.ip().is_loopback()));
    }

    #[cfg(feature = "elements")]
    mod client {
        use super::*;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::TcpListener;

        /// A one-shot HTTP server on 127.0.0.1 answering every request with `response`.
        async fn serve(response: &'static str) -> u16 {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let port = listener.local_addr().expect("addr").port();
            tokio::spawn(async move {
                while let Ok((mut sock, _)) = listener.accept().await {
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 4096];
                        let mut seen = Vec::new();
                        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                            match sock.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => seen.extend_from_slice(&buf[..n]),
                            }
                        }
                        let _ = sock.write_all(response.as_bytes()).await;
                        let _ = sock.shutdown().await;
                    });
                }
            });
            port
        }

        const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
        const REDIRECT: &str = "HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/latest/meta-data/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

        fn client(guard: CallbackGuard) -> reqwest::Client {
            guarded_client(guard, Duration::from_secs(5), "pollhook-test")
        }

        fn chain(err: &dyn std::error::Error) -> String {
            let mut out = err.to_string();
            let mut src = err.source();
            while let Some(e) = src {
                out.push_str(" / ");
                out.push_str(&e.to_string());
                src = e.source();
            }
            out
        }

        #[tokio::test]
        async fn guarded_client_refuses_a_name_resolving_to_loopback() {
            let port = serve(OK).await;
            let err = client(DENY)
                .post(format!("http://localhost:{port}/hook"))
                .send()
                .await
                .expect_err("refused at connect");
            let text = chain(&err);
            assert!(text.contains("a loopback address"), "{text}");
        }

        #[tokio::test]
        async fn guarded_client_reaches_loopback_when_allowed() {
            let port = serve(OK).await;
            let res = client(ALLOW)
                .post(format!("http://localhost:{port}/hook"))
                .body("{}")
                .send()
                .await
                .expect("reaches the local server");
            assert_eq!(res.status(), 200);
        }

        #[tokio::test]
        async fn guarded_client_does_not_follow_redirects() {
            let port = serve(REDIRECT).await;
            let res = client(ALLOW)
                .post(format!("http://127.0.0.1:{port}/hook"))
                .send()
                .await
                .expect("answers");
            assert_eq!(res.status(), 302);
            assert_eq!(
                res.headers().get("location").and_then(|v| v.to_str().ok()),
                Some("http://169.254.169.254/latest/meta-data/")
            );
        }
    }
}
