//! The one server the console talks to: parsing what a person typed into an origin, and
//! checking that an API path stays on that origin.
//!
//! Only `https://host[:port]` is accepted for another machine; plain `http://` only for a
//! loopback address (local mode, or a server on this machine), where nothing crosses a network.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

/// `scheme://host:port` of a pacai server, normalised (lower-case host, explicit port).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// The loopback origin of a local `pacai serve`.
    pub fn loopback(port: u16) -> Self {
        Origin {
            scheme: "http".into(),
            host: "127.0.0.1".into(),
            port,
        }
    }

    /// Parses a server address typed by a person. A missing scheme means `https://`.
    /// A trailing `/` or `/v5` is tolerated (people paste the API base); any other path,
    /// a query, a fragment or credentials in the URL are refused with a sentence saying why.
    pub fn parse(input: &str) -> Result<Self, String> {
        let text = input.trim();
        if text.is_empty() {
            return Err(
                "Enter the server's address, for example https://pacai.example.com.".into(),
            );
        }
        if text.len() > 2048 {
            return Err("That address is too long.".into());
        }
        let with_scheme = if text.contains("://") {
            text.to_string()
        } else {
            format!("https://{text}")
        };
        let url =
            Url::parse(&with_scheme).map_err(|e| format!("That is not a valid address ({e})."))?;
        let scheme = url.scheme().to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(format!(
                "The console talks to pacai over https:// (or http:// on this machine), not {scheme}://."
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "Leave the user name and password out of the address; you sign in afterwards."
                    .into(),
            );
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("The address must not have a query (?…) or a fragment (#…).".into());
        }
        let path = url.path().trim_end_matches('/');
        if !(path.is_empty() || path == "/v5") {
            return Err(
                "Give the server's address without a path, for example https://pacai.example.com."
                    .into(),
            );
        }
        let host = match url.host() {
            Some(Host::Domain(d)) => d.to_ascii_lowercase(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => format!("[{ip}]"),
            None => return Err("The address has no host name.".into()),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| "The address has no port.".to_string())?;
        let origin = Origin { scheme, host, port };
        if origin.scheme == "http" && !origin.is_loopback() {
            return Err(format!(
                "Plain http:// is only allowed for a server on this machine; use https://{}{} so that \
                 passwords and tokens are encrypted on the network.",
                origin.host,
                if origin.port == 80 { String::new() } else { format!(":{}", origin.port) }
            ));
        }
        Ok(origin)
    }

    pub fn is_loopback(&self) -> bool {
        if self.host == "localhost" {
            return true;
        }
        self.host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// The full URL of an API path on this origin; refuses anything that could leave it.
    pub fn api_url(&self, path_and_query: &str) -> Result<String, String> {
        check_api_path(path_and_query)?;
        Ok(format!("{self}{path_and_query}"))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let default = if self.scheme == "https" { 443 } else { 80 };
        if self.port == default {
            write!(f, "{}://{}", self.scheme, self.host)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

/// An API path the web content may ask for: `/v5/...` with an optional query, printable
/// ASCII only, no `..` segment, no backslash, no `//`, no fragment. The host is never the
/// caller's to choose: it always comes from the chosen [`Origin`].
pub fn check_api_path(path_and_query: &str) -> Result<(), String> {
    let refuse = || {
        Err(format!(
            "Refused request path {:?}: only /v5/… paths of the chosen server.",
            clip(path_and_query)
        ))
    };
    if path_and_query.len() > 4096 || !path_and_query.starts_with("/v5/") {
        return refuse();
    }
    if !path_and_query.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return refuse();
    }
    let path = path_and_query.split('?').next().unwrap_or_default();
    if path.contains("//") || path.contains('\\') || path_and_query.contains('#') {
        return refuse();
    }
    let decoded_dots =
        path.to_ascii_lowercase().contains("%2e") || path.to_ascii_lowercase().contains("%2f");
    if decoded_dots
        || path
            .split('/')
            .any(|segment| segment == ".." || segment == ".")
    {
        return refuse();
    }
    Ok(())
}

fn clip(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_host_means_https() {
        let origin = Origin::parse("pacai.example.com").map_err(|e| e.to_string());
        assert_eq!(
            origin.map(|o| o.to_string()),
            Ok("https://pacai.example.com".to_string())
        );
    }

    #[test]
    fn ports_and_case_are_normalised() {
        let o = Origin::parse("HTTPS://Pacai.Example.com:8443/").map(|o| o.to_string());
        assert_eq!(o, Ok("https://pacai.example.com:8443".to_string()));
        let o = Origin::parse("https://pacai.example.com:443/v5").map(|o| o.to_string());
        assert_eq!(o, Ok("https://pacai.example.com".to_string()));
    }

    #[test]
    fn plain_http_only_on_this_machine() {
        assert!(Origin::parse("http://127.0.0.1:5000").is_ok());
        assert!(Origin::parse("http://localhost:5000").is_ok());
        assert!(Origin::parse("http://[::1]:5000").is_ok());
        let refused = Origin::parse("http://pacai.example.com");
        assert!(refused.is_err_and(|e| e.contains("https://pacai.example.com")));
    }

    #[test]
    fn refuses_what_is_not_an_origin() {
        for bad in [
            "",
            "ftp://x.example",
            "https://user:pw@x.example",
            "https://x.example/admin",
            "https://x.example/?a=1",
            "https://x.example/#f",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn api_paths_stay_on_the_origin() {
        let o = Origin::loopback(5123);
        assert_eq!(
            o.api_url("/v5/health"),
            Ok("http://127.0.0.1:5123/v5/health".to_string())
        );
        assert!(o.api_url("/v5/audit?limit=20&after_seq=3").is_ok());
        for bad in [
            "/v5",
            "v5/health",
            "//evil.example/v5/x",
            "/v5//evil",
            "/v5/../admin",
            "/v5/%2e%2e/x",
            "/v5/a\\b",
            "/v5/a#b",
            "/v5/a b",
            "/other",
            "http://evil.example/v5/health",
        ] {
            assert!(o.api_url(bad).is_err(), "{bad} should be refused");
        }
    }
}
