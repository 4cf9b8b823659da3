//! Making one-time setup links (`/configura/{token}`): the link printed at first start, which
//! creates the first organiser, and the link of a new account, whose person chooses the
//! password. A link works once, within [`SETUP_TTL_MS`]; `setup.rs` completes it.

use crate::secret;
use crate::store::accounts as rows;
use crate::store::{DbError, Store};

/// Setup links are valid for seven days.
pub const SETUP_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// If no organiser exists yet, creates a one-time link to set up the first one; the links
/// printed at earlier starts stop working (only the latest is live). Once an organiser
/// exists, none is printed and none works.
pub async fn first_setup_link(store: &Store, base_url: &str) -> Result<Option<String>, DbError> {
    if rows::count_organisers(store).await? > 0 {
        rows::spend_first_organiser_links(store).await?;
        return Ok(None);
    }
    rows::spend_first_organiser_links(store).await?;
    let (raw, hash) = secret::new_token();
    rows::create_setup_token(store, &hash, None, SETUP_TTL_MS).await?;
    Ok(Some(setup_url(base_url, &raw)))
}

/// A one-time link for an account to choose its password.
pub async fn password_link(
    store: &Store,
    account_id: i64,
    base_url: &str,
) -> Result<String, DbError> {
    let (raw, hash) = secret::new_token();
    rows::create_setup_token(store, &hash, Some(account_id), SETUP_TTL_MS).await?;
    Ok(setup_url(base_url, &raw))
}

fn setup_url(base_url: &str, raw: &str) -> String {
    format!("{}/configura/{raw}", base_url.trim_end_matches('/'))
}
