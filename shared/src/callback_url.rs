//! The URL events are POSTed to: parsed once, so nothing later handles a malformed one.

use std::fmt;

/// An absolute `http`/`https` URL with a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrl(url::Url);

impl CallbackUrl {
    /// Parses a user-supplied URL; the error says what to fix.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err("must not be empty".into());
        }
        let url = url::Url::parse(trimmed)
            .map_err(|e| format!("'{trimmed}' is not a valid absolute URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "scheme '{}' is not allowed: use http or https",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("'{trimmed}' has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "must not carry credentials in the URL; use a signature key instead".into(),
            );
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &url::Url {
        &self.0
    }
}

impl fmt::Display for CallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https() {
        assert!(CallbackUrl::parse("https://console.cloud-elements.com").is_ok());
        assert!(CallbackUrl::parse("http://127.0.0.1:9000/hook?x=1").is_ok());
    }

    #[test]
    fn refuses_other_schemes_and_garbage() {
        for (raw, want) in [
            ("ftp://example.com", "scheme 'ftp'"),
            ("example.com/hook", "not a valid absolute URL"),
            ("", "must not be empty"),
            ("https://user:pw@example.com", "credentials"),
            ("mailto:a@example.com", "scheme 'mailto'"),
        ] {
            let err = CallbackUrl::parse(raw).expect_err(raw);
            assert!(err.contains(want), "{raw}: {err}");
        }
    }
}
