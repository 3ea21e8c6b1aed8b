//! The connectors pollhook knows, and what each needs from the user to reach its API.

use std::fmt;

/// A known connector, by its Open Connectors key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElementKey {
    /// Sage CRM (REST `sagecrm2`), basic credentials.
    SageCrm,
    /// Sage Business Cloud Accounting (API v3.1), OAuth2.
    SageOne,
    /// Any JSON REST API at `base.url`.
    Http,
}

/// One configuration field an element needs, as the catalogue and the validator see it.
#[derive(Debug, Clone, Copy)]
pub struct ConfigField {
    pub key: &'static str,
    pub label: &'static str,
    pub required: bool,
    pub secret: bool,
}

const fn field(
    key: &'static str,
    label: &'static str,
    required: bool,
    secret: bool,
) -> ConfigField {
    ConfigField {
        key,
        label,
        required,
        secret,
    }
}

const SAGECRM_FIELDS: &[ConfigField] = &[
    field("subdomain", "Subdomain", true, false),
    field("username", "Username", true, false),
    field("password", "Password", true, true),
    field("base.url", "Base URL override", false, false),
];

const SAGEONE_FIELDS: &[ConfigField] = &[
    field("oauth.api.key", "Client ID", true, false),
    field("oauth.api.secret", "Client Secret", true, true),
    field("oauth.callback.url", "Callback URL", true, false),
    field("signature.secret", "Signing Secret", false, true),
    field(
        "apim.subscription.key",
        "APIM Subscription Key",
        false,
        true,
    ),
    field("country", "Country code", false, false),
    field("base.url", "Base URL override", false, false),
    field("oauth.token.url", "Token URL override", false, false),
    field("business.id", "Business ID", false, false),
];

const HTTP_FIELDS: &[ConfigField] = &[
    field("base.url", "Base URL", true, false),
    field(
        "authorization.header",
        "Authorization header value",
        false,
        true,
    ),
    field("records.path", "Records path", false, false),
    field("next.path", "Next page link path", false, false),
    field(
        "pagination.page.param",
        "Page number parameter",
        false,
        false,
    ),
    field("pagination.size.param", "Page size parameter", false, false),
];

impl ElementKey {
    /// Every element, in the order the catalogue lists them.
    pub const ALL: [ElementKey; 3] = [ElementKey::SageCrm, ElementKey::SageOne, ElementKey::Http];

    /// Looks up a key as users write it in `element.key`.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == key)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ElementKey::SageCrm => "sagecrm",
            ElementKey::SageOne => "sageone",
            ElementKey::Http => "http",
        }
    }

    /// Human name shown in responses and the console.
    pub fn display_name(self) -> &'static str {
        match self {
            ElementKey::SageCrm => "Sage CRM",
            ElementKey::SageOne => "Sage Business Cloud Accounting",
            ElementKey::Http => "Generic HTTP (JSON REST)",
        }
    }

    /// The configuration fields this element reads, beyond the event settings all share.
    pub fn fields(self) -> &'static [ConfigField] {
        match self {
            ElementKey::SageCrm => SAGECRM_FIELDS,
            ElementKey::SageOne => SAGEONE_FIELDS,
            ElementKey::Http => HTTP_FIELDS,
        }
    }

    /// Whether creating an instance needs `providerData.code` (an OAuth authorization code).
    pub fn needs_authorization_code(self) -> bool {
        matches!(self, ElementKey::SageOne)
    }

    /// Comma-separated known keys, for error messages.
    pub fn known_list() -> String {
        Self::ALL.map(|e| e.as_str()).join(", ")
    }
}

impl fmt::Display for ElementKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
