//! Which certificate authorities HTTPS trusts: Mozilla's roots, compiled in
//! (`webpki-roots`, so no CA bundle is read at start-up), unless the user
//! names a file of their own, as behind a company's TLS-inspecting proxy:
//! `SSL_CERT_FILE` for static registries (as for OpenSSL, curl, pip, uv);
//! for git over HTTPS git's own settings first.

use std::path::PathBuf;
use std::sync::Arc;

use ureq::tls::{PemItem, RootCerts, TlsConfig};

/// The file OpenSSL, curl, pip and uv read trusted certificates from.
pub(crate) const SSL_CERT_FILE_ENV: &str = "SSL_CERT_FILE";

/// What a user may set to replace the built-in roots, for messages.
pub(crate) const CA_SETTINGS: &str = "GIT_SSL_CAINFO, git's http.sslCAInfo or SSL_CERT_FILE";

/// Where a certificate file was named.
pub(crate) struct CaFile {
    pub path: PathBuf,
    pub origin: String,
}

/// The CA file for git over HTTPS, in git's order: `GIT_SSL_CAINFO`, then
/// git's `http.sslCAInfo`, then OpenSSL's `SSL_CERT_FILE`.
pub(crate) fn git_ca_file() -> Option<CaFile> {
    if let Some(path) = std::env::var_os("GIT_SSL_CAINFO").filter(|p| !p.is_empty()) {
        return Some(CaFile { path: path.into(), origin: "GIT_SSL_CAINFO".to_owned() });
    }
    if let Ok(path) = git2::Config::open_default().and_then(|config| config.get_path("http.sslCAInfo")) {
        return Some(CaFile { path, origin: "git's http.sslCAInfo".to_owned() });
    }
    ssl_cert_file()
}

pub(crate) fn ssl_cert_file() -> Option<CaFile> {
    std::env::var_os(SSL_CERT_FILE_ENV)
        .filter(|p| !p.is_empty())
        .map(|path| CaFile { path: path.into(), origin: SSL_CERT_FILE_ENV.to_owned() })
}

/// TLS settings trusting exactly the certificates in `file`, or Mozilla's
/// roots without one.
pub(crate) fn tls_config(file: Option<&CaFile>) -> Result<TlsConfig, String> {
    let Some(file) = file else { return Ok(TlsConfig::default()) };
    let named = || format!("the certificate file `{}` (from {})", file.path.display(), file.origin);
    let pem = std::fs::read(&file.path).map_err(|err| format!("cannot read {}: {err}", named()))?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(certificate)) => certificates.push(certificate),
            Ok(_) => {}
            Err(err) => return Err(format!("cannot parse {}: {err}", named())),
        }
    }
    if certificates.is_empty() {
        return Err(format!("{} holds no PEM certificate", named()));
    }
    Ok(TlsConfig::builder().root_certs(RootCerts::Specific(Arc::new(certificates))).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_certificates_is_an_error_naming_it_and_where_it_came_from() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let file = CaFile { path: path.clone(), origin: "SSL_CERT_FILE".to_owned() };
        let err = tls_config(Some(&file)).unwrap_err();
        assert!(err.contains(&path.display().to_string()) && err.contains("from SSL_CERT_FILE"), "{err}");
        let missing = CaFile { path: dir.path().join("missing.pem"), origin: "GIT_SSL_CAINFO".to_owned() };
        assert!(tls_config(Some(&missing)).unwrap_err().starts_with("cannot read"));
        assert!(tls_config(None).is_ok());
    }
}
