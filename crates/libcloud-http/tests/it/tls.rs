//! Certificate verification against a local HTTPS server whose certificates are made here with
//! rcgen: refused by default, accepted only when the issuing CA is trusted explicitly, and never
//! for the wrong name. The scheme of the URL alone decides between TLS and plain HTTP.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use libcloud_core::transport::{self, Transport};
use libcloud_core::{Body, Error, ErrorKind};
use libcloud_http::{HttpConfig, RetryPolicy};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA that can sign server certificates.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `names` (IP addresses or DNS names) and its key.
    fn issue(&self, names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().unwrap();
        let params = server_params(names);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.der().clone(), private_key(&key))
    }
}

fn server_params(names: &[&str]) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*n).try_into().unwrap()),
        })
        .collect();
    params
}

fn private_key(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// A certificate for `names` signed by its own key, as `openssl req -x509` makes.
fn self_signed(names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>, String) {
    let key = KeyPair::generate().unwrap();
    let cert = server_params(names).self_signed(&key).unwrap();
    (cert.der().clone(), private_key(&key), cert.pem())
}

/// An HTTPS server on 127.0.0.1 answering every request with `200 ok`, on a plain thread with
/// rustls; it counts the requests that got through the handshake.
struct Server {
    addr: SocketAddr,
    served: Arc<AtomicU32>,
}

fn serve(cert: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> Server {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let config = Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(AtomicU32::new(0));
    let counter = served.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(tcp) = stream else { return };
            let config = config.clone();
            let counter = counter.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = tls.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    Server { addr, served }
}

fn client(config: HttpConfig) -> Transport {
    config.with_retry(RetryPolicy::disabled()).build().unwrap()
}

async fn get(transport: &Transport, url: String) -> Result<String, Error> {
    let request = http::Request::get(url).body(Body::empty()).unwrap();
    let response = transport::send(transport, request).await?;
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect(1024).await?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// The error and every cause under it, as one line.
fn chain(err: &Error) -> String {
    let mut out = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        out.push_str(" <- ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// Checks that a refused handshake is a transport error, not worth retrying, whose message says
/// it was the certificate, and that no request reached the server.
fn assert_certificate_refused(result: Result<String, Error>, server: &Server, why: &str) {
    let err = result.expect_err("the handshake must fail");
    assert_eq!(*err.kind(), ErrorKind::Transport, "{}", chain(&err));
    assert!(!err.is_temporary(), "a refused certificate is not retried");
    let shown = err.to_string();
    assert!(
        shown.contains("certificate"),
        "the message must name the certificate: {shown}"
    );
    assert!(
        chain(&err).contains(why),
        "expected {why:?} in {}",
        chain(&err)
    );
    assert_eq!(server.served.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_unknown_ca_is_refused_by_default() {
    let ca = Ca::new("libcloud test CA");
    let (cert, key) = ca.issue(&["127.0.0.1", "localhost"]);
    let server = serve(cert, key);
    let result = get(
        &client(HttpConfig::new()),
        format!("https://{}/", server.addr),
    )
    .await;
    assert_certificate_refused(result, &server, "UnknownIssuer");
}

#[tokio::test]
async fn a_self_signed_certificate_is_refused_by_default() {
    let (cert, key, _) = self_signed(&["127.0.0.1"]);
    let server = serve(cert, key);
    let result = get(
        &client(HttpConfig::new()),
        format!("https://{}/", server.addr),
    )
    .await;
    assert_certificate_refused(result, &server, "UnknownIssuer");
}

#[tokio::test]
async fn the_trusted_ca_is_accepted() {
    let ca = Ca::new("libcloud test CA");
    let (cert, key) = ca.issue(&["127.0.0.1", "localhost"]);
    let server = serve(cert, key);
    let transport = client(HttpConfig::new().with_root_certificate_pem(ca.pem()));
    let body = get(&transport, format!("https://{}/", server.addr))
        .await
        .unwrap();
    assert_eq!(body, "ok");
    assert_eq!(server.served.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_trusted_self_signed_certificate_is_accepted() {
    let (cert, key, pem) = self_signed(&["127.0.0.1"]);
    let server = serve(cert, key);
    let transport = client(HttpConfig::new().with_root_certificate_pem(pem));
    assert_eq!(
        get(&transport, format!("https://{}/", server.addr))
            .await
            .unwrap(),
        "ok"
    );
}

#[tokio::test]
async fn trusting_another_ca_does_not_help() {
    let ca = Ca::new("libcloud test CA");
    let other = Ca::new("someone else's CA");
    let (cert, key) = ca.issue(&["127.0.0.1"]);
    let server = serve(cert, key);
    let transport = client(HttpConfig::new().with_root_certificate_pem(other.pem()));
    let result = get(&transport, format!("https://{}/", server.addr)).await;
    assert_certificate_refused(result, &server, "UnknownIssuer");
}

#[tokio::test]
async fn a_trusted_certificate_for_another_name_is_refused() {
    let ca = Ca::new("libcloud test CA");
    let (cert, key) = ca.issue(&["storage.example.com"]);
    let server = serve(cert, key);
    let transport = client(HttpConfig::new().with_root_certificate_pem(ca.pem()));
    let result = get(&transport, format!("https://{}/", server.addr)).await;
    assert_certificate_refused(result, &server, "not valid for name");
}

#[tokio::test]
async fn plain_http_goes_only_where_the_url_says_http() {
    let ca = Ca::new("libcloud test CA");
    let (cert, key) = ca.issue(&["127.0.0.1"]);
    let server = serve(cert, key);
    let transport = client(HttpConfig::new().with_root_certificate_pem(ca.pem()));
    // `http://` to a TLS port is sent as plain text and fails; it is never upgraded quietly.
    let err = get(&transport, format!("http://{}/", server.addr))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport, "{}", chain(&err));
    assert_eq!(server.served.load(Ordering::SeqCst), 0);
    // The same port with `https://` works.
    assert_eq!(
        get(&transport, format!("https://{}/", server.addr))
            .await
            .unwrap(),
        "ok"
    );
}

#[tokio::test]
async fn https_to_a_plain_server_says_the_handshake_failed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        }
    });
    let err = get(&client(HttpConfig::new()), format!("https://{addr}/"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    assert!(
        err.to_string().contains("TLS handshake failed"),
        "{}",
        chain(&err)
    );
    // Not a certificate problem: a later attempt may meet the real server.
    assert!(err.is_temporary());
}
