//! TLS client settings for syslog+tls:// and https://: the server's
//! certificate is always verified, against `ca` or the system's bundle;
//! `cert` and `key` give a client certificate.

use std::{path::Path, sync::Arc};

use anyhow::{Context, Result};
use tokio_rustls::{
    rustls::{
        self,
        pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
        RootCertStore,
    },
    TlsConnector,
};

use super::SinkOptions;

/// Debian's bundle of the system's trusted CAs.
const SYSTEM_CAS: &str = "/etc/ssl/certs/ca-certificates.crt";

fn certs(path: &Path, key: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .with_context(|| {
            format!(
                "option `{key}`: reading certificates from {}",
                path.display()
            )
        })?;
    if certs.is_empty() {
        anyhow::bail!("option `{key}`: no PEM certificate in {}", path.display());
    }
    Ok(certs)
}

pub fn connector(o: &SinkOptions) -> Result<TlsConnector> {
    let (ca, key_name) = match &o.ca {
        Some(ca) => (ca.as_path(), "ca"),
        None => (Path::new(SYSTEM_CAS), "ca (default: the system's CAs)"),
    };
    let mut roots = RootCertStore::empty();
    for cert in certs(ca, key_name)? {
        roots.add(cert).with_context(|| {
            format!(
                "option `{key_name}`: a certificate in {} is not usable",
                ca.display()
            )
        })?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_root_certificates(roots);
    let config = match (&o.cert, &o.key) {
        (Some(cert), Some(key)) => {
            let chain = certs(cert, "cert")?;
            let key = PrivateKeyDer::from_pem_file(key).with_context(|| {
                format!("option `key`: reading a private key from {}", key.display())
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .context("options `cert` and `key` do not make a usable client certificate")?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(TlsConnector::from(Arc::new(config)))
}
