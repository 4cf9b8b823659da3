//! The SMTP relay: how `TAVOLO_SMTP_URL` names it and how the transport to it is built.
//!
//! A public administration's relay takes mail only over TLS and with authentication, so the
//! three ways relays are run are all here: `smtps://` (TLS from the first byte, port 465),
//! `smtp+starttls://` (plain connection upgraded with STARTTLS, which is then required; port
//! 587) and `smtp://` (no encryption: only for a relay on this machine). Certificates are checked
//! against the system's trusted roots; `TAVOLO_SMTP_CA_FILE` adds the root of an internal CA
//! (an Ente's own relay, or a test server).

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// No encryption (`smtp://`), refused with credentials unless the relay is on loopback.
    None,
    /// STARTTLS, required: a relay that does not offer it gets no mail (`smtp+starttls://`).
    StartTls,
    /// TLS from the start (`smtps://`).
    Tls,
}

impl Security {
    pub fn label(self) -> &'static str {
        match self {
            Security::None => "none",
            Security::StartTls => "starttls",
            Security::Tls => "tls",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        }
    }
}

/// An SMTP relay parsed from `TAVOLO_SMTP_URL`.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<(String, String)>,
    /// A PEM file of extra trusted roots (`TAVOLO_SMTP_CA_FILE`).
    pub ca_file: Option<PathBuf>,
}

impl SmtpConfig {
    /// Parses `scheme://[user[:password]@]host[:port]`; user and password may be
    /// percent-encoded (a password with `@` or `:`). The error is an Italian message for the
    /// operator.
    pub fn parse(url: &str) -> Result<SmtpConfig, String> {
        let (security, rest) = if let Some(r) = url.strip_prefix("smtps://") {
            (Security::Tls, r)
        } else if let Some(r) = url.strip_prefix("smtp+starttls://") {
            (Security::StartTls, r)
        } else if let Some(r) = url.strip_prefix("smtp://") {
            (Security::None, r)
        } else {
            return Err(format!(
                "TAVOLO_SMTP_URL deve iniziare con smtps://, smtp+starttls:// o smtp:// (ricevuto «{}»)",
                redact(url)
            ));
        };
        let rest = rest.trim_end_matches('/');
        let (auth, hostport) = match rest.rsplit_once('@') {
            Some((a, h)) => (Some(a), h),
            None => (None, rest),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            // An IPv6 literal without a port: `[::1]`.
            Some((h, p)) if !p.ends_with(']') => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("porta SMTP non valida: «{p}»"))?,
            ),
            _ => (hostport, security.default_port()),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err("TAVOLO_SMTP_URL senza nome del server".into());
        }
        let credentials = match auth {
            None => None,
            Some(a) => {
                let (u, p) = a.split_once(':').unwrap_or((a, ""));
                Some((percent_decode(u)?, percent_decode(p)?))
            }
        };
        if credentials.is_some() && security == Security::None && !is_loopback(host) {
            return Err(format!(
                "TAVOLO_SMTP_URL: la password non può viaggiare in chiaro verso «{host}»; \
                 usa smtps:// (porta 465) o smtp+starttls:// (porta 587)"
            ));
        }
        Ok(SmtpConfig {
            host: host.to_string(),
            port,
            security,
            credentials,
            ca_file: None,
        })
    }

    /// Adds the extra trusted roots of `TAVOLO_SMTP_CA_FILE`, checking now that they read, so
    /// that a wrong file stops the start instead of every delivery.
    pub fn with_ca_file(mut self, path: &Path) -> Result<SmtpConfig, String> {
        read_certificate(path)?;
        self.ca_file = Some(path.to_path_buf());
        Ok(self)
    }

    /// The transport to the relay (it connects when a message is sent).
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let tls = match self.security {
            Security::None => Tls::None,
            Security::StartTls => Tls::Required(self.tls_parameters()?),
            Security::Tls => Tls::Wrapper(self.tls_parameters()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(20)));
        if let Some((user, pass)) = &self.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(builder.build())
    }

    fn tls_parameters(&self) -> Result<TlsParameters, String> {
        let mut params = TlsParameters::builder(self.host.clone());
        if let Some(path) = &self.ca_file {
            params = params.add_root_certificate(read_certificate(path)?);
        }
        params
            .build_rustls()
            .map_err(|e| format!("impostazioni TLS per il server SMTP non valide: {e}"))
    }
}

fn read_certificate(path: &Path) -> Result<Certificate, String> {
    let pem = std::fs::read(path).map_err(|e| {
        format!(
            "TAVOLO_SMTP_CA_FILE: impossibile leggere «{}»: {e}",
            path.display()
        )
    })?;
    // An empty or unrelated file parses as "no certificates": refuse it here.
    let has_certificate = pem
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----");
    if !has_certificate {
        return Err(format!(
            "TAVOLO_SMTP_CA_FILE: «{}» non contiene un certificato PEM",
            path.display()
        ));
    }
    Certificate::from_pem(&pem).map_err(|e| {
        format!(
            "TAVOLO_SMTP_CA_FILE: «{}» non contiene un certificato PEM valido: {e}",
            path.display()
        )
    })
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `%40` → `@` in the user and password of the URL.
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = crate::domain::text::percent_decoded(s)
        .ok_or("TAVOLO_SMTP_URL: codifica «%» non valida nelle credenziali")?;
    String::from_utf8(bytes).map_err(|_| "TAVOLO_SMTP_URL: credenziali non in UTF-8".to_string())
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let auth = &url[s + 3..at];
            match auth.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_parsed() {
        let c = SmtpConfig::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.security, c.credentials),
            ("127.0.0.1", 2525, Security::None, None)
        );
        let c = SmtpConfig::parse("smtps://user:secret@mail.comune.it").unwrap();
        assert_eq!((c.port, c.security), (465, Security::Tls));
        assert_eq!(c.credentials, Some(("user".into(), "secret".into())));
        let c = SmtpConfig::parse("smtp+starttls://u%40ente.it:p%3Aw%40@relay.ente.it").unwrap();
        assert_eq!((c.port, c.security), (587, Security::StartTls));
        assert_eq!(c.credentials, Some(("u@ente.it".into(), "p:w@".into())));
        let c = SmtpConfig::parse("smtps://[::1]").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("::1", 465));
        // Credentials over a plain connection only to this machine.
        assert!(SmtpConfig::parse("smtp://user:secret@localhost:25").is_ok());
        let e = SmtpConfig::parse("smtp://user:secret@mail.comune.it").unwrap_err();
        assert!(e.contains("in chiaro") && !e.contains("secret"), "{e}");
    }

    #[test]
    fn wrong_relay_urls_are_explained_without_the_password() {
        let e = SmtpConfig::parse("http://u:segreta@x").unwrap_err();
        assert!(e.contains("smtps://") && !e.contains("segreta"), "{e}");
        assert!(SmtpConfig::parse("smtp://x:porta").is_err());
        assert!(SmtpConfig::parse("smtps://").is_err());
        assert!(SmtpConfig::parse("smtps://u:%zz@x").is_err());
    }

    #[test]
    fn a_ca_file_that_is_not_a_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "non è un certificato").unwrap();
        let c = SmtpConfig::parse("smtps://relay.ente.it").unwrap();
        let e = c.clone().with_ca_file(&path).unwrap_err();
        assert!(e.contains("TAVOLO_SMTP_CA_FILE"), "{e}");
        let e = c.with_ca_file(&dir.path().join("manca.pem")).unwrap_err();
        assert!(e.contains("impossibile leggere"), "{e}");
    }
}
