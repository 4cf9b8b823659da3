//! Staff passwords: argon2id hashes, and the rule a new password must follow.

use argon2::password_hash::{Output, ParamsString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::services::hashing::Busy;
use argon2::password_hash::{PasswordHash, SaltString};

/// The stored form of a password: argon2id with a random salt (PHC string).
pub fn hash_password(password: &str) -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt");
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::default(), Version::default(), params.clone());
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    with_blocks(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(password.as_bytes(), &bytes, &mut out, blocks)
    })
    .expect("argon2 with default parameters hashes any password");
    PasswordHash {
        algorithm: Algorithm::default().ident(),
        version: Some(Version::default().into()),
        params: ParamsString::try_from(&params).expect("the default parameters are valid"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).expect("32 bytes make a valid output")),
    }
    .to_string()
}

/// Runs `f` on this thread's Argon2 memory (`count` blocks of 1 KiB), kept for the next
/// computation. Allocated anew each time, the ~19 MiB stayed resident in the allocator after
/// every computation (glibc raises its mmap threshold after the first free): a flood of logins
/// grew the server by hundreds of MiB even with two computations at a time. Kept per thread,
/// the memory is the hashing pool's threads × 19 MiB, for good.
fn with_blocks<T>(count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    thread_local! {
        static BLOCKS: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BLOCKS.with_borrow_mut(|blocks| {
        if blocks.len() < count {
            blocks.resize(count, Block::default());
        }
        f(&mut blocks[..count])
    })
}

/// [`hash_password`] in the process' hashing pool (`services::hashing`): argon2 takes tens of
/// milliseconds of CPU and ~19 MiB on purpose, which must neither stall the requests sharing
/// this thread nor run unbounded. Callers are already authorised (a setup link, an organiser,
/// the command line), so this waits for a worker however long the queue.
pub(super) async fn hash_off_thread(password: String) -> String {
    crate::services::hashing::pool()
        .run(move || hash_password(&password))
        .await
}

/// [`verify_password`] in the process' hashing pool, refused at once ([`Busy`]) when the pool's
/// queue is full: logins are anonymous, so a flood of them must not queue without end.
/// Without a stored hash (unknown e-mail, account without password) the password is checked
/// against a dummy hash, always false: the same work, so timing does not tell them apart.
pub(super) async fn verify_off_thread(
    password: String,
    stored: Option<String>,
) -> Result<bool, Busy> {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("no account has this password"));
    crate::services::hashing::pool()
        .try_run(move || match stored {
            Some(hash) => verify_password(&password, &hash),
            None => {
                // Made once, inside the pool too: it is an argon2 computation.
                let _ = verify_password(&password, &DUMMY);
                false
            }
        })
        .await
}

/// Whether `password` matches a stored hash (any argon2 PHC string: the parameters are read
/// from it). The comparison of the outputs is constant-time (`Output`'s equality).
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(stored) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (stored.hash, stored.salt) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(stored.algorithm),
        Params::try_from(&stored),
    ) else {
        return false;
    };
    let version = match stored.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let computed = with_blocks(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, blocks)
    });
    computed.is_ok() && Output::new(&out).is_ok_and(|o| o == expected)
}

/// Password rule for staff accounts.
pub fn password_problem(password: &str) -> Option<&'static str> {
    if password.chars().count() < 12 {
        Some("La password deve avere almeno 12 caratteri.")
    } else if password.chars().count() > 200 {
        Some("La password è troppo lunga (al massimo 200 caratteri).")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("una password lunga");
        assert!(verify_password("una password lunga", &h));
        assert!(!verify_password("un'altra password", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(password_problem("corta").is_some());
        assert!(password_problem("abbastanza lunga").is_none());
    }

    #[test]
    fn hashes_agree_with_the_argon2_crates_own_hasher_and_verifier() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // A hash stored before (made by the crate's own API) still verifies, and ours verifies
        // with the crate's own verifier: same format, same parameters.
        let salt = SaltString::encode_b64(b"sedici byte sale").unwrap();
        let theirs = Argon2::default()
            .hash_password(b"una password lunga", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("una password lunga", &theirs));
        assert!(!verify_password("una password lungA", &theirs));
        let ours = hash_password("una password lunga");
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"una password lunga", &parsed)
                .is_ok()
        );
        // Other parameters are read from the hash (a smaller memory after a bigger one too).
        let small = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(64, 1, 1, Some(16)).unwrap(),
        )
        .hash_password(b"breve", &salt)
        .unwrap()
        .to_string();
        assert!(verify_password("breve", &small));
        assert!(!verify_password("Breve", &small));
    }
}
