//! Static Large Object uploads against a small in-memory stand-in for Swift, so that the
//! segments, the manifest and the clean-up after a failure are checked without a server.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use http::{Method, StatusCode};
use libcloud_core::hash::md5_hex;
use libcloud_core::transport::{self, Request, Response};
use libcloud_core::{Body, ErrorKind, StorageDriver, UploadOptions};
use libcloud_openstack::{AuthConfig, OpenStackConfig, SwiftStorage};
use serde_json::Value;

const ACCOUNT: &str = "/v1/AUTH_t";

#[derive(Default)]
struct Store {
    containers: Vec<String>,
    objects: BTreeMap<String, (Bytes, BTreeMap<String, String>)>,
    manifests: Vec<Value>,
    /// Segment PUTs whose path ends with this fail with 503.
    fail_suffix: Option<String>,
}

fn reply(status: u16, headers: &[(&str, String)], body: impl Into<Bytes>) -> Response {
    let mut response = Response::new(Body::from(body.into()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    for (k, v) in headers {
        response
            .headers_mut()
            .insert(http::HeaderName::try_from(*k).unwrap(), v.parse().unwrap());
    }
    response
}

fn serve(
    store: &Mutex<Store>,
    method: &Method,
    path: &str,
    query: &str,
    headers: &http::HeaderMap,
    body: Bytes,
) -> Response {
    let mut s = store.lock().unwrap();
    if path == "/auth/v1.0" {
        return reply(
            200,
            &[
                ("x-auth-token", "AUTH_tk".into()),
                ("x-storage-url", format!("http://swift.test{ACCOUNT}")),
            ],
            "",
        );
    }
    let rest = path.strip_prefix(ACCOUNT).unwrap().trim_start_matches('/');
    let (container, object) = match rest.split_once('/') {
        Some((c, o)) => (c.to_string(), Some(o.to_string())),
        None => (rest.to_string(), None),
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    match (method.clone(), object) {
        (Method::HEAD, None) if s.containers.contains(&container) => reply(204, &[], ""),
        (Method::HEAD, None) => reply(404, &[], ""),
        (Method::PUT, None) => {
            if s.containers.contains(&container) {
                reply(202, &[], "")
            } else {
                s.containers.push(container);
                reply(201, &[], "")
            }
        }
        (Method::GET, None) => {
            let prefix = query
                .split('&')
                .find_map(|p| p.strip_prefix("prefix="))
                .map(|p| p.replace("%2F", "/"))
                .unwrap_or_default();
            let names: Vec<Value> = s
                .objects
                .keys()
                .filter_map(|k| k.strip_prefix(&format!("{container}/")))
                .filter(|k| k.starts_with(&prefix))
                .map(|k| serde_json::json!({"name": k, "bytes": 1, "hash": "x"}))
                .collect();
            reply(200, &[], Value::Array(names).to_string())
        }
        (Method::PUT, Some(object)) if query.contains("multipart-manifest=put") => {
            let manifest: Value = serde_json::from_slice(&body).unwrap();
            let mut data = Vec::new();
            let mut etags = String::new();
            for segment in manifest.as_array().unwrap() {
                let path = segment["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches('/')
                    .to_string();
                let (bytes, _) = s.objects.get(&path).unwrap();
                assert_eq!(segment["etag"].as_str().unwrap(), md5_hex(bytes));
                assert_eq!(segment["size_bytes"].as_u64().unwrap(), bytes.len() as u64);
                data.extend_from_slice(bytes);
                etags.push_str(segment["etag"].as_str().unwrap());
            }
            let mut meta = BTreeMap::new();
            for (k, v) in headers {
                meta.insert(k.to_string(), v.to_str().unwrap().to_string());
            }
            s.manifests.push(manifest);
            s.objects
                .insert(format!("{container}/{object}"), (Bytes::from(data), meta));
            reply(
                201,
                &[("etag", format!("\"{}\"", md5_hex(etags.as_bytes())))],
                "",
            )
        }
        (Method::PUT, Some(object)) => {
            if s.fail_suffix
                .as_ref()
                .is_some_and(|f| object.ends_with(f.as_str()))
            {
                return reply(503, &[], "");
            }
            let md5 = md5_hex(&body);
            if header("etag").is_some_and(|e| e != md5) {
                return reply(422, &[], "");
            }
            s.objects
                .insert(format!("{container}/{object}"), (body, BTreeMap::new()));
            reply(201, &[("etag", md5)], "")
        }
        (Method::DELETE, Some(object)) => {
            match s.objects.remove(&format!("{container}/{object}")) {
                Some(_) => reply(204, &[], ""),
                None => reply(404, &[], ""),
            }
        }
        _ => reply(405, &[], ""),
    }
}

fn driver(store: Arc<Mutex<Store>>) -> SwiftStorage {
    let transport = transport::from_fn(move |request: Request| {
        let store = store.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = body.collect(1 << 20).await?;
            let path = parts.uri.path().to_string();
            let query = parts.uri.query().unwrap_or("").to_string();
            Ok(serve(
                &store,
                &parts.method,
                &path,
                &query,
                &parts.headers,
                body,
            ))
        })
    });
    let config = OpenStackConfig::new(AuthConfig::tempauth(
        "http://swift.test/auth/v1.0",
        "t:u",
        "k",
    ));
    SwiftStorage::with_transport(config, transport)
        .unwrap()
        .with_segment_size(4)
        .with_upload_concurrency(2)
}

fn chunks(data: &'static [u8]) -> libcloud_core::ByteStream {
    stream::iter(
        data.chunks(3)
            .map(|c| Ok(Bytes::from_static(c)))
            .collect::<Vec<_>>(),
    )
    .boxed()
}

#[tokio::test]
async fn bodies_above_one_segment_become_static_large_objects() {
    let store = Arc::new(Mutex::new(Store {
        containers: vec!["c".into()],
        ..Default::default()
    }));
    let swift = driver(store.clone());
    let data: &[u8] = b"0123456789";
    let options = UploadOptions::default().meta("k", "v");
    let object = swift
        .upload_object_via_stream("c", "dir/big.txt", chunks(data), &options)
        .await
        .unwrap();
    assert_eq!(object.size, 10);
    assert_eq!(object.hash.as_deref(), Some(md5_hex(data).as_str()));
    assert_eq!(object.extra["static_large_object"], serde_json::json!(true));

    let s = store.lock().unwrap();
    assert!(s.containers.contains(&"c_segments".to_string()));
    let manifest = s.manifests[0].as_array().unwrap();
    assert_eq!(manifest.len(), 3);
    let sizes: Vec<u64> = manifest
        .iter()
        .map(|m| m["size_bytes"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, [4, 4, 2]);
    for (i, segment) in manifest.iter().enumerate() {
        let path = segment["path"].as_str().unwrap();
        assert!(path.starts_with("/c_segments/dir/big.txt/slo/"), "{path}");
        assert!(path.ends_with(&format!("/{:08}", i + 1)), "{path}");
    }
    let (stored, meta) = &s.objects["c/dir/big.txt"];
    assert_eq!(&stored[..], data);
    assert_eq!(meta["x-object-meta-libcloud-content-md5"], md5_hex(data));
    assert_eq!(meta["x-object-meta-k"], "v");
    assert_eq!(meta["content-type"], "text/plain");
}

#[tokio::test]
async fn a_failed_segment_removes_the_others() {
    let store = Arc::new(Mutex::new(Store {
        containers: vec!["c".into()],
        fail_suffix: Some("/00000002".into()),
        ..Default::default()
    }));
    let swift = driver(store.clone());
    let err = swift
        .upload_object_via_stream(
            "c",
            "big",
            chunks(b"0123456789abcdef"),
            &UploadOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(err.is_temporary(), "{err}");
    assert_eq!(err.status(), Some(503));
    let s = store.lock().unwrap();
    assert!(s.manifests.is_empty());
    assert!(
        s.objects.is_empty(),
        "left behind: {:?}",
        s.objects.keys().collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_missing_container_is_not_created_by_a_large_upload() {
    let store = Arc::new(Mutex::new(Store::default()));
    let swift = driver(store.clone());
    let err = swift
        .upload_object_via_stream(
            "nope",
            "big",
            chunks(b"0123456789"),
            &UploadOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotFound { .. }), "{err}");
    assert!(store.lock().unwrap().containers.is_empty());
}
