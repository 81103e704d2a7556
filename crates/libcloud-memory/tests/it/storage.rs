//! Containers and objects.

use std::time::{Duration, SystemTime};

use libcloud_core::body::once_stream;
use libcloud_core::futures::stream::{self, StreamExt, TryStreamExt};
use libcloud_core::hash::md5_hex;
use libcloud_core::{
    ByteRange, Bytes, Error, ErrorKind, ResourceKind, StorageDriver, StorageDriverExt,
    UploadOptions,
};
use libcloud_memory::MemoryStorage;

use crate::{assert_exists, assert_kind, assert_not_found};

fn opts() -> UploadOptions {
    UploadOptions::default()
}

async fn store_with(container: &str) -> MemoryStorage {
    let store = MemoryStorage::new();
    store.create_container(container).await.unwrap();
    store
}

async fn put(store: &MemoryStorage, container: &str, name: &str, data: &'static [u8]) {
    store
        .upload_bytes(container, name, Bytes::from_static(data), &opts())
        .await
        .unwrap();
}

#[tokio::test]
async fn name_and_capabilities() {
    let store = MemoryStorage::default();
    assert_eq!(store.name(), "memory");
    let caps = store.capabilities();
    assert!(caps.hash_is_md5 && caps.ranged_download && caps.user_metadata && caps.content_type);
    assert!(caps.object_cdn_url && caps.container_cdn);
    assert!(!caps.multipart_upload && !caps.server_side_delimiter && !caps.strict_names);
    assert_eq!(store.max_object_size(), 1024 * 1024 * 1024);
}

#[tokio::test]
async fn containers_are_created_listed_and_deleted() {
    let store = MemoryStorage::new();
    for name in ["zeta", "alpha", "mid"] {
        let c = store.create_container(name).await.unwrap();
        assert_eq!(c.name, name);
    }
    assert_exists(
        store.create_container("alpha").await,
        ResourceKind::Container,
    );
    let names: Vec<String> = store
        .list_containers()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["alpha", "mid", "zeta"]);
    assert_eq!(store.get_container("mid").await.unwrap().name, "mid");
    assert_not_found(store.get_container("nope").await, ResourceKind::Container);

    put(&store, "mid", "x", b"x").await;
    assert_kind(
        store.delete_container("mid").await,
        ErrorKind::NotEmpty {
            kind: ResourceKind::Container,
            id: "mid".into(),
        },
    );
    let c = store.get_container("mid").await.unwrap();
    assert_eq!(c.extra["object_count"], 1);
    assert_eq!(c.extra["bytes_used"], 1);
    store.delete_object("mid", "x").await.unwrap();
    store.delete_container("mid").await.unwrap();
    assert_not_found(store.delete_container("mid").await, ResourceKind::Container);
    assert_not_found(store.get_container("mid").await, ResourceKind::Container);
}

#[tokio::test]
async fn container_names_are_checked() {
    let store = MemoryStorage::new();
    for bad in ["", "a/b", "tab\there", &"c".repeat(256)] {
        assert_kind(store.create_container(bad).await, ErrorKind::InvalidInput);
    }
    store.create_container(&"c".repeat(255)).await.unwrap();
    store
        .create_container("with space and ünïcode")
        .await
        .unwrap();
}

#[tokio::test]
async fn listing_many_containers_crosses_pages() {
    let store = MemoryStorage::new();
    for i in 0..1500 {
        store.create_container(&format!("c{i:05}")).await.unwrap();
    }
    let names: Vec<String> = store
        .iterate_containers()
        .map_ok(|c| c.name)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names.len(), 1500);
    assert!(names.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn uploads_record_hash_type_metadata_and_time() {
    let store = store_with("c").await;
    let before = SystemTime::now();
    let options = opts().meta("Owner", "ops").meta("build-ID", "42");
    let obj = store
        .upload_bytes("c", "dir/hello.txt", Bytes::from("hello world"), &options)
        .await
        .unwrap();
    assert_eq!(obj.name, "dir/hello.txt");
    assert_eq!(obj.container, "c");
    assert_eq!(obj.size, 11);
    assert_eq!(
        obj.hash.as_deref(),
        Some("5eb63bbbe01eeed093cb22bb8f5acdc3")
    );
    assert_eq!(obj.content_type.as_deref(), Some("text/plain"));
    assert_eq!(obj.meta_data.get("owner").map(String::as_str), Some("ops"));
    assert_eq!(
        obj.meta_data.get("build-id").map(String::as_str),
        Some("42")
    );
    assert!(obj.last_modified.unwrap() >= before);
    assert_eq!(store.get_object("c", "dir/hello.txt").await.unwrap(), obj);
    assert_eq!(
        store
            .download_object_as_bytes("c", "dir/hello.txt", 100)
            .await
            .unwrap(),
        "hello world"
    );
}

#[tokio::test]
async fn content_types_are_kept_or_guessed() {
    let store = store_with("c").await;
    let json = store
        .upload_bytes("c", "a.json", Bytes::from("{}"), &opts())
        .await
        .unwrap();
    assert_eq!(json.content_type.as_deref(), Some("application/json"));
    let bare = store
        .upload_bytes("c", "no-extension", Bytes::from("?"), &opts())
        .await
        .unwrap();
    assert_eq!(
        bare.content_type.as_deref(),
        Some("application/octet-stream")
    );
    let given = store
        .upload_bytes(
            "c",
            "a.json",
            Bytes::from("<x/>"),
            &opts().content_type("application/xml"),
        )
        .await
        .unwrap();
    assert_eq!(given.content_type.as_deref(), Some("application/xml"));
    for bad in ["", "text", "/plain", "text/"] {
        assert_kind(
            store
                .upload_bytes("c", "b", Bytes::from("x"), &opts().content_type(bad))
                .await,
            ErrorKind::InvalidInput,
        );
    }
    assert_not_found(store.get_object("c", "b").await, ResourceKind::Object);
}

#[tokio::test]
async fn upload_options_are_checked() {
    let store = store_with("c").await;
    assert_kind(
        store
            .upload_bytes("c", "o", Bytes::from("x"), &opts().meta("bad key", "v"))
            .await,
        ErrorKind::InvalidInput,
    );
    assert_kind(
        store
            .upload_bytes("c", "o", Bytes::from("x"), &opts().meta("k", "line\nbreak"))
            .await,
        ErrorKind::InvalidInput,
    );
    let mut acl = opts();
    acl.acl = Some("everyone-may-write".into());
    assert_kind(
        store.upload_bytes("c", "o", Bytes::from("x"), &acl).await,
        ErrorKind::InvalidInput,
    );
    acl.acl = Some("public-read".into());
    acl.storage_class = Some("standard_ia".into());
    let obj = store
        .upload_bytes("c", "o", Bytes::from("x"), &acl)
        .await
        .unwrap();
    assert_eq!(obj.extra["acl"], "public-read");
    assert_eq!(obj.extra["storage_class"], "STANDARD_IA");
}

#[tokio::test]
async fn object_names_and_containers_are_checked() {
    let store = store_with("c").await;
    for bad in ["", "nul\0byte", &"o".repeat(1025)] {
        assert_kind(
            store
                .upload_bytes("c", bad, Bytes::from("x"), &opts())
                .await,
            ErrorKind::InvalidInput,
        );
    }
    assert_not_found(
        store
            .upload_bytes("missing", "o", Bytes::from("x"), &opts())
            .await,
        ResourceKind::Container,
    );
    assert_not_found(
        store.get_object("missing", "o").await,
        ResourceKind::Container,
    );
    assert_not_found(store.get_object("c", "o").await, ResourceKind::Object);
    assert_not_found(
        store.download_object_as_stream("c", "o", None).await,
        ResourceKind::Object,
    );
    assert_not_found(store.delete_object("c", "o").await, ResourceKind::Object);
    assert_not_found(
        store.delete_object("missing", "o").await,
        ResourceKind::Container,
    );
}

#[tokio::test]
async fn streamed_uploads_and_chunked_downloads() {
    let store = store_with("c").await;
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let chunks: Vec<Result<Bytes, Error>> = data
        .chunks(7_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let obj = store
        .upload_object_via_stream("c", "big.bin", stream::iter(chunks).boxed(), &opts())
        .await
        .unwrap();
    assert_eq!(obj.size, 200_000);
    assert_eq!(obj.hash.as_deref(), Some(md5_hex(&data).as_str()));
    let download = store
        .download_object_as_stream("c", "big.bin", None)
        .await
        .unwrap();
    assert_eq!(download.object, obj);
    assert!(download.range.is_none());
    let parts: Vec<Bytes> = download.stream.try_collect().await.unwrap();
    assert!(parts.len() >= 4, "downloads arrive in chunks");
    assert!(parts.iter().all(|p| p.len() <= 64 * 1024));
    assert_eq!(parts.concat(), data);
}

#[tokio::test]
async fn ranged_downloads() {
    let store = store_with("c").await;
    put(&store, "c", "digits", b"0123456789").await;
    let get = |start: u64, end: Option<u64>| {
        let store = store.clone();
        async move {
            store
                .download_object_range_as_stream("c", "digits", start, end)
                .await?
                .try_collect::<Vec<Bytes>>()
                .await
                .map(|p| p.concat())
        }
    };
    assert_eq!(get(2, Some(5)).await.unwrap(), b"234");
    assert_eq!(get(7, None).await.unwrap(), b"789");
    assert_eq!(get(8, Some(100)).await.unwrap(), b"89");
    assert_eq!(get(0, Some(1)).await.unwrap(), b"0");
    assert_kind(get(10, None).await, ErrorKind::InvalidInput);
    assert_kind(get(50, Some(60)).await, ErrorKind::InvalidInput);
    let d = store
        .download_object_as_stream("c", "digits", Some(ByteRange::new(1, Some(3)).unwrap()))
        .await
        .unwrap();
    assert_eq!(d.range, Some(ByteRange::new(1, Some(3)).unwrap()));
    assert_eq!(d.object.size, 10);

    put(&store, "c", "empty", b"").await;
    let whole = store
        .download_object_as_bytes("c", "empty", 10)
        .await
        .unwrap();
    assert!(whole.is_empty());
    let ranged: Vec<Bytes> = store
        .download_object_range_as_stream("c", "empty", 0, None)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(ranged.concat().is_empty());
}

#[tokio::test]
async fn a_failed_stream_stores_nothing() {
    let store = store_with("c").await;
    let failing = || {
        stream::iter(vec![
            Ok(Bytes::from("partial ")),
            Err(Error::new(ErrorKind::Transport, "connection reset")),
            Ok(Bytes::from("never read")),
        ])
        .boxed()
    };
    let err = store
        .upload_object_via_stream("c", "new", failing(), &opts())
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Transport);
    assert_not_found(store.get_object("c", "new").await, ResourceKind::Object);

    // An older object of that name stays as it was.
    put(&store, "c", "old", b"original").await;
    let before = store.get_object("c", "old").await.unwrap();
    store
        .upload_object_via_stream("c", "old", failing(), &opts())
        .await
        .unwrap_err();
    assert_eq!(store.get_object("c", "old").await.unwrap(), before);
    assert_eq!(
        store
            .download_object_as_bytes("c", "old", 100)
            .await
            .unwrap(),
        "original"
    );
}

#[tokio::test]
async fn a_container_deleted_during_an_upload_gets_nothing() {
    let store = store_with("c").await;
    let deleter = store.clone();
    let body = stream::once(async move {
        deleter.delete_container("c").await.unwrap();
        Ok(Bytes::from("late"))
    })
    .boxed();
    assert_not_found(
        store
            .upload_object_via_stream("c", "o", body, &opts())
            .await,
        ResourceKind::Container,
    );
    assert_not_found(store.get_container("c").await, ResourceKind::Container);
}

#[tokio::test]
async fn uploads_replace_objects() {
    let store = store_with("c").await;
    put(&store, "c", "k", b"first").await;
    let second = store
        .upload_bytes("c", "k", Bytes::from("second!"), &opts().meta("v", "2"))
        .await
        .unwrap();
    assert_eq!(store.get_object("c", "k").await.unwrap(), second);
    assert_eq!(second.size, 7);
    assert_eq!(
        store.list_container_objects("c", None).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn the_size_limit_is_enforced() {
    let store = MemoryStorage::with_max_object_size(10);
    assert_eq!(store.max_object_size(), 10);
    store.create_container("c").await.unwrap();
    store
        .upload_bytes("c", "fits", Bytes::from("0123456789"), &opts())
        .await
        .unwrap();
    assert_kind(
        store
            .upload_bytes("c", "too-big", Bytes::from("0123456789A"), &opts())
            .await,
        ErrorKind::InvalidInput,
    );
    let many = stream::iter((0..4).map(|_| Ok(Bytes::from("abc")))).boxed();
    assert_kind(
        store
            .upload_object_via_stream("c", "streamed", many, &opts())
            .await,
        ErrorKind::InvalidInput,
    );
    let names: Vec<String> = store
        .list_container_objects("c", None)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, ["fits"]);
}

#[tokio::test]
async fn listing_objects_by_prefix_in_name_order() {
    let store = store_with("c").await;
    for name in ["b/2", "a", "b/1", "b/sub/x", "c", "b"] {
        put(&store, "c", name, b"-").await;
    }
    let names = |objs: Vec<libcloud_core::Object>| -> Vec<String> {
        objs.into_iter().map(|o| o.name).collect()
    };
    assert_eq!(
        names(store.list_container_objects("c", None).await.unwrap()),
        ["a", "b", "b/1", "b/2", "b/sub/x", "c"]
    );
    assert_eq!(
        names(store.list_container_objects("c", Some("b/")).await.unwrap()),
        ["b/1", "b/2", "b/sub/x"]
    );
    assert!(
        store
            .list_container_objects("c", Some("zzz"))
            .await
            .unwrap()
            .is_empty()
    );
    let listed = store
        .list_with_delimiter("c", Some("b/"), "/")
        .await
        .unwrap();
    assert_eq!(names(listed.objects), ["b/1", "b/2"]);
    assert_eq!(listed.common_prefixes, ["b/sub/"]);
    assert_not_found(
        store.list_container_objects("missing", None).await,
        ResourceKind::Container,
    );
}

#[tokio::test]
async fn listing_many_objects_crosses_pages() {
    let store = store_with("c").await;
    for i in 0..2500 {
        store
            .upload_bytes(
                "c",
                &format!("k/{i:05}"),
                Bytes::from(i.to_string()),
                &opts(),
            )
            .await
            .unwrap();
    }
    put(&store, "c", "other", b"x").await;
    let listed = store.list_container_objects("c", Some("k/")).await.unwrap();
    assert_eq!(listed.len(), 2500);
    assert!(listed.windows(2).all(|w| w[0].name < w[1].name));
    assert_eq!(listed[1234].name, "k/01234");
}

#[tokio::test]
async fn object_urls_and_published_containers() {
    let store = store_with("my files").await;
    put(&store, "my files", "a b/ç.txt", b"x").await;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let url = store
        .get_object_cdn_url("my files", "a b/ç.txt", Duration::from_secs(3600))
        .await
        .unwrap();
    let (base, expires) = url.split_once("?expires=").unwrap();
    assert_eq!(base, "memory://my%20files/a%20b/%C3%A7.txt");
    let expires: u64 = expires.parse().unwrap();
    assert!((now + 3600..=now + 3602).contains(&expires), "{url}");
    assert_not_found(
        store
            .get_object_cdn_url("my files", "nope", Duration::from_secs(1))
            .await,
        ResourceKind::Object,
    );
    assert_kind(
        store
            .get_object_cdn_url("my files", "a b/ç.txt", Duration::ZERO)
            .await,
        ErrorKind::InvalidInput,
    );

    assert_kind(
        store.get_container_cdn_url("my files").await,
        ErrorKind::InvalidInput,
    );
    assert_not_found(
        store.enable_container_cdn("nope").await,
        ResourceKind::Container,
    );
    store.enable_container_cdn("my files").await.unwrap();
    assert_eq!(
        store.get_container_cdn_url("my files").await.unwrap(),
        "memory://my%20files"
    );
    assert_eq!(
        store.get_container("my files").await.unwrap().extra["cdn_enabled"],
        true
    );
}

#[tokio::test]
async fn download_to_path_verifies_the_md5() {
    let store = store_with("c").await;
    let data = Bytes::from(vec![7u8; 100_000]);
    store
        .upload_bytes("c", "dir/file.bin", data.clone(), &opts())
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("libcloud-memory-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = store
        .download_to_path("c", "dir/file.bin", &dir, None, true)
        .await
        .unwrap();
    assert_eq!(path, dir.join("file.bin"));
    assert_eq!(std::fs::read(&path).unwrap(), data);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn clones_share_a_store_and_new_makes_another() {
    let store = store_with("c").await;
    let clone = store.clone();
    clone
        .upload_object_via_stream("c", "o", once_stream("shared"), &opts())
        .await
        .unwrap();
    assert_eq!(
        store.download_object_as_bytes("c", "o", 10).await.unwrap(),
        "shared"
    );
    let other = MemoryStorage::new();
    assert!(other.list_containers().await.unwrap().is_empty());
    let shown = format!("{store:?}");
    assert!(
        shown.contains("containers: 1") && shown.contains("objects: 1"),
        "{shown}"
    );
}
