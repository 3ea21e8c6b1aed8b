//! Who is calling: an account (User + Organization secrets) or one instance (Element token).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};

use super::error::{ApiError, StoreResultExt};
use super::request_id::RequestId;
use super::ApiState;
use crate::credentials::{digest, digests_equal, PresentedCredentials};
use crate::instance::InstanceId;
use crate::ports::{Account, StoreError};

/// An authenticated caller. Tenants only ever see their own organization's instances.
#[derive(Debug, Clone)]
pub struct Caller {
    pub organization_id: String,
    /// Set when the caller used an `Element` token: it may touch only this instance.
    pub instance: Option<InstanceId>,
}

impl Caller {
    /// True when the caller may act on every instance of its organization.
    pub fn is_account(&self) -> bool {
        self.instance.is_none()
    }
}

fn unauthorized(request_id: &RequestId, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, request_id, message)
}

/// The account whose Organization and User secrets these are, or None; the one check both the
/// API's `Authorization` header and the console's sign-in go through.
pub(crate) async fn verify_account(
    state: &ApiState,
    organization_secret: &str,
    user_secret: &str,
) -> Result<Option<Account>, StoreError> {
    let accounts = state
        .tenants
        .accounts_for_organization(&digest(organization_secret))
        .await?;
    let user_digest = digest(user_secret);
    // Compare against every user so the time taken does not depend on which matched.
    Ok(accounts.into_iter().fold(None, |found, a| {
        if digests_equal(&a.user_secret_digest, &user_digest) {
            Some(a)
        } else {
            found
        }
    }))
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let request_id = RequestId::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|e| match e {});
        let header = parts.headers.get(header::AUTHORIZATION).map(|v| v.to_str());
        let header = match header {
            Some(Err(_)) => {
                return Err(unauthorized(
                    &request_id,
                    "Authorization header: not valid text",
                ))
            }
            Some(Ok(h)) => Some(h),
            None => None,
        };
        let presented = PresentedCredentials::parse(header)
            .map_err(|e| unauthorized(&request_id, e.to_string()))?;
        if let (Some(user), Some(org)) = (&presented.user, &presented.organization) {
            let matched = verify_account(state, org, user)
                .await
                .or_store(&request_id)?;
            return match matched {
                Some(account) => Ok(Caller {
                    organization_id: account.organization_id,
                    instance: None,
                }),
                None => Err(unauthorized(
                    &request_id,
                    "Authorization: the User or Organization secret is wrong",
                )),
            };
        }
        let token = presented.element.unwrap_or_default();
        let token_digest = digest(&token);
        let instance = state
            .instances
            .get_by_token(&token_digest)
            .await
            .or_store(&request_id)?;
        match instance {
            Some(i) if digests_equal(&i.token_digest, &token_digest) => Ok(Caller {
                organization_id: i.organization_id,
                instance: Some(i.id),
            }),
            _ => Err(unauthorized(
                &request_id,
                "Authorization: the Element token is not valid",
            )),
        }
    }
}
