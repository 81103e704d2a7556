//! The storage conformance suite: containers, objects, listings, ranges and streams.
//!
//! Every case works in a container of its own (`lc-<case>-<8 hex>`) and deletes it, with its
//! objects, when it ends, whether it passed or not.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use libcloud_core::body::ByteStream;
use libcloud_core::hash::{Md5, md5_hex};
use libcloud_core::{
    ByteRange, Error, ErrorKind, Object, ResourceKind, StorageCapabilities, StorageDriver,
    StorageDriverExt, UploadOptions,
};

use super::{
    CaseResult, Context, DEFAULT_CASE_TIMEOUT, Failure, Harness, Outcome, Report, best_effort,
    case_name, ensure, expect_already_exists, expect_err, expect_kind, expect_not_found, lacks,
};

/// The most any case reads into memory at once.
const READ_LIMIT: usize = 16 * 1024 * 1024;
/// How long a clean-up may take before it is abandoned.
const CLEANUP_LIMIT: Duration = Duration::from_secs(120);

/// Runs every storage case the driver's capabilities allow, prints one line per case, and
/// panics listing every failure (or when no case ran).
pub async fn run(driver: &dyn StorageDriver) {
    report(driver).await.assert_passed();
}

/// Runs every storage case, prints one line per case and returns the report without
/// panicking.
pub async fn report(driver: &dyn StorageDriver) -> Report {
    let d = driver;
    let mut h = Harness::new("storage", DEFAULT_CASE_TIMEOUT);
    h.case("container_lifecycle", container_lifecycle(d)).await;
    h.case("container_already_exists", container_already_exists(d))
        .await;
    h.case("missing_container", missing_container(d)).await;
    h.case("delete_non_empty_container", delete_non_empty_container(d))
        .await;
    h.case("object_round_trip_bytes", object_round_trip_bytes(d))
        .await;
    h.case("object_round_trip_stream", object_round_trip_stream(d))
        .await;
    h.case("content_type_round_trip", content_type_round_trip(d))
        .await;
    h.case("user_metadata_round_trip", user_metadata_round_trip(d))
        .await;
    h.case("overwrite_replaces", overwrite_replaces(d)).await;
    h.case(
        "list_objects_in_order_with_prefix",
        list_objects_in_order_with_prefix(d),
    )
    .await;
    h.case("list_with_delimiter", list_with_delimiter(d)).await;
    h.case("ranged_download", ranged_download(d)).await;
    h.case("missing_object", missing_object(d)).await;
    h.case(
        "failed_upload_leaves_no_object",
        failed_upload_leaves_no_object(d),
    )
    .await;
    h.case(
        "failed_upload_keeps_previous_version",
        failed_upload_keeps_previous_version(d),
    )
    .await;
    h.case("empty_object", empty_object(d)).await;
    h.case("large_object", large_object(d)).await;
    h.case("download_to_path", download_to_path(d)).await;
    h.case(
        "object_names_with_special_characters",
        object_names_with_special_characters(d),
    )
    .await;
    h.case("object_cdn_url", object_cdn_url(d)).await;
    h.finish()
}

/// Creates a container, finds it by `get_container` and in the listing, deletes it, and then
/// finds it neither way (`NotFound` of a container).
pub async fn container_lifecycle(d: &dyn StorageDriver) -> CaseResult {
    let name = case_name("container_lifecycle");
    let result: CaseResult = async {
        let created = d
            .create_container(&name)
            .await
            .context("create_container")?;
        ensure!(
            created.name == name,
            "create_container returned the name {:?}, expected {name:?}",
            created.name
        );
        let got = d.get_container(&name).await.context("get_container")?;
        ensure!(
            got.name == name,
            "get_container returned the name {:?}, expected {name:?}",
            got.name
        );
        let listed = d.list_containers().await.context("list_containers")?;
        ensure!(
            listed.iter().any(|c| c.name == name),
            "list_containers ({} containers) does not include the new container {name:?}",
            listed.len()
        );
        let objects = d
            .list_container_objects(&name, None)
            .await
            .context("list_container_objects of a new container")?;
        ensure!(
            objects.is_empty(),
            "a new container lists {} objects",
            objects.len()
        );
        d.delete_container(&name)
            .await
            .context("delete_container")?;
        expect_not_found(
            d.get_container(&name).await,
            ResourceKind::Container,
            "get_container after delete_container",
        )?;
        let listed = d
            .list_containers()
            .await
            .context("list_containers after delete_container")?;
        ensure!(
            !listed.iter().any(|c| c.name == name),
            "list_containers still includes the deleted container {name:?}"
        );
        Ok(Outcome::Passed)
    }
    .await;
    remove_container(d, &name).await;
    result
}

/// Creating a container that exists is `AlreadyExists` of a container.
pub async fn container_already_exists(d: &dyn StorageDriver) -> CaseResult {
    in_container(d, "container_already_exists", async |c| {
        expect_already_exists(
            d.create_container(c).await,
            ResourceKind::Container,
            "create_container of an existing container",
        )?;
        d.get_container(c)
            .await
            .context("get_container after the refused second create")?;
        Ok(Outcome::Passed)
    })
    .await
}

/// `get_container` and `delete_container` of a missing container are `NotFound` of a
/// container, and an upload into it fails.
pub async fn missing_container(d: &dyn StorageDriver) -> CaseResult {
    let name = case_name("missing_container");
    let result: CaseResult = async {
        expect_not_found(
            d.get_container(&name).await,
            ResourceKind::Container,
            "get_container of a missing container",
        )?;
        expect_not_found(
            d.delete_container(&name).await,
            ResourceKind::Container,
            "delete_container of a missing container",
        )?;
        expect_err(
            d.upload_bytes(
                &name,
                "orphan.txt",
                Bytes::from_static(b"x"),
                &UploadOptions::default(),
            )
            .await,
            "upload_object_via_stream into a missing container",
        )?;
        Ok(Outcome::Passed)
    }
    .await;
    remove_container(d, &name).await;
    result
}

/// Deleting a container that holds an object is `NotEmpty` of a container, and leaves the
/// container and the object in place.
pub async fn delete_non_empty_container(d: &dyn StorageDriver) -> CaseResult {
    in_container(d, "delete_non_empty_container", async |c| {
        upload(d, c, "keep.txt", Bytes::from_static(b"still here")).await?;
        expect_kind(
            d.delete_container(c).await,
            "delete_container of a non-empty container",
            "NotEmpty { kind: Container }",
            |k| {
                matches!(
                    k,
                    ErrorKind::NotEmpty {
                        kind: ResourceKind::Container,
                        ..
                    }
                )
            },
        )?;
        d.get_container(c)
            .await
            .context("get_container after the refused delete")?;
        let object = d
            .get_object(c, "keep.txt")
            .await
            .context("get_object after the refused delete")?;
        ensure!(
            object.size == 10,
            "the object's size changed to {}",
            object.size
        );
        Ok(Outcome::Passed)
    })
    .await
}

/// An object uploaded from bytes comes back byte for byte through `get_object` and a download,
/// with its size, and its MD5 where the driver's hash is one.
pub async fn object_round_trip_bytes(d: &dyn StorageDriver) -> CaseResult {
    let caps = d.capabilities();
    in_container(d, "object_round_trip_bytes", async |c| {
        let name = "round/trip.bin";
        let data = pattern(1000, 1);
        let uploaded = d
            .upload_bytes(c, name, data.clone(), &UploadOptions::default())
            .await
            .context("upload_object_via_stream")?;
        check_object(
            &uploaded,
            c,
            name,
            &data,
            &caps,
            "the object upload returned",
        )?;
        let head = d.get_object(c, name).await.context("get_object")?;
        check_object(&head, c, name, &data, &caps, "get_object")?;
        let download = d
            .download_object_as_stream(c, name, None)
            .await
            .context("download_object_as_stream")?;
        ensure!(
            download.range.is_none(),
            "a whole-object download reports the range {:?}",
            download.range
        );
        check_object(
            &download.object,
            c,
            name,
            &data,
            &caps,
            "the download's object",
        )?;
        let bytes = download
            .bytes(READ_LIMIT)
            .await
            .context("reading the download")?;
        check_bytes(&bytes, &data, "downloaded bytes")?;
        Ok(Outcome::Passed)
    })
    .await
}

/// An object uploaded from a stream of many uneven chunks comes back byte for byte.
pub async fn object_round_trip_stream(d: &dyn StorageDriver) -> CaseResult {
    let caps = d.capabilities();
    in_container(d, "object_round_trip_stream", async |c| {
        let name = "streamed.bin";
        let data = pattern(200_003, 2);
        let uploaded = d
            .upload_object_via_stream(
                c,
                name,
                chunked(data.clone(), 7_001),
                &UploadOptions::default(),
            )
            .await
            .context("upload_object_via_stream of 29 chunks")?;
        check_object(
            &uploaded,
            c,
            name,
            &data,
            &caps,
            "the object upload returned",
        )?;
        let head = d.get_object(c, name).await.context("get_object")?;
        check_object(&head, c, name, &data, &caps, "get_object")?;
        let bytes = d
            .download_object_as_bytes(c, name, READ_LIMIT)
            .await
            .context("download_object_as_stream")?;
        check_bytes(&bytes, &data, "downloaded bytes")?;
        Ok(Outcome::Passed)
    })
    .await
}

/// With `content_type`: an explicit content type is stored; without one, it is guessed from
/// the name (`.json` is `application/json`), and a name without extension gets
/// `application/octet-stream`.
pub async fn content_type_round_trip(d: &dyn StorageDriver) -> CaseResult {
    if !d.capabilities().content_type {
        return lacks("content_type");
    }
    in_container(d, "content_type_round_trip", async |c| {
        let cases = [
            ("explicit.bin", Some("text/plain"), "text/plain"),
            ("guessed.json", None, "application/json"),
            ("no-extension", None, "application/octet-stream"),
        ];
        for (name, given, expected) in cases {
            let mut options = UploadOptions::default();
            if let Some(ct) = given {
                options = options.content_type(ct);
            }
            d.upload_bytes(c, name, Bytes::from_static(b"{}"), &options)
                .await
                .context(&format!("upload of {name:?}"))?;
            let object = d.get_object(c, name).await.context("get_object")?;
            let got = object.content_type.as_deref().unwrap_or("");
            ensure!(
                got == expected || got.starts_with(&format!("{expected};")),
                "{name:?} (uploaded with content type {given:?}) has the content type \
                 {:?}, expected {expected:?}",
                object.content_type
            );
        }
        Ok(Outcome::Passed)
    })
    .await
}

/// With `user_metadata`: metadata stored with an object comes back from `get_object`, keys
/// lower-case.
pub async fn user_metadata_round_trip(d: &dyn StorageDriver) -> CaseResult {
    if !d.capabilities().user_metadata {
        return lacks("user_metadata");
    }
    in_container(d, "user_metadata_round_trip", async |c| {
        let options = UploadOptions::default()
            .meta("color", "blue")
            .meta("owner-id", "42")
            .meta("Shade", "dark");
        d.upload_bytes(c, "meta.txt", Bytes::from_static(b"metadata"), &options)
            .await
            .context("upload_object_via_stream with metadata")?;
        let object = d.get_object(c, "meta.txt").await.context("get_object")?;
        let expected: BTreeMap<String, String> =
            [("color", "blue"), ("owner-id", "42"), ("shade", "dark")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        for (key, value) in &expected {
            ensure!(
                object.meta_data.get(key) == Some(value),
                "get_object's metadata {:?} lacks {key:?} = {value:?} (keys must be lower-case)",
                object.meta_data
            );
        }
        Ok(Outcome::Passed)
    })
    .await
}

/// Uploading under an existing name replaces the object: size, content and listing.
pub async fn overwrite_replaces(d: &dyn StorageDriver) -> CaseResult {
    let caps = d.capabilities();
    in_container(d, "overwrite_replaces", async |c| {
        let first = Bytes::from_static(b"the first version, which is longer");
        let second = Bytes::from_static(b"second");
        upload(d, c, "over.txt", first).await?;
        let replaced = upload(d, c, "over.txt", second.clone()).await?;
        check_object(
            &replaced,
            c,
            "over.txt",
            &second,
            &caps,
            "the second upload returned",
        )?;
        let head = d.get_object(c, "over.txt").await.context("get_object")?;
        check_object(
            &head,
            c,
            "over.txt",
            &second,
            &caps,
            "get_object after overwriting",
        )?;
        let bytes = d
            .download_object_as_bytes(c, "over.txt", READ_LIMIT)
            .await
            .context("download after overwriting")?;
        check_bytes(&bytes, &second, "downloaded bytes after overwriting")?;
        let listed = d
            .list_container_objects(c, None)
            .await
            .context("list_container_objects")?;
        ensure!(
            listed.len() == 1 && listed[0].name == "over.txt" && listed[0].size == 6,
            "after overwriting, the listing is {:?}, expected one 6-byte over.txt",
            summary(&listed)
        );
        Ok(Outcome::Passed)
    })
    .await
}

/// 25 objects uploaded out of order are listed in name order with their sizes, and prefixes
/// select the right ones.
pub async fn list_objects_in_order_with_prefix(d: &dyn StorageDriver) -> CaseResult {
    let caps = d.capabilities();
    in_container(d, "list_objects_in_order_with_prefix", async |c| {
        let names: Vec<String> = (0..25)
            .map(|i| {
                if i < 20 {
                    format!("p/{i:02}")
                } else {
                    format!("q/{i:02}")
                }
            })
            .collect();
        let datas: Vec<Bytes> = (0..25).map(|i| pattern(i + 1, i as u8)).collect();
        stream::iter(names.iter().zip(&datas).rev())
            .map(|(name, data)| upload(d, c, name, data.clone()))
            .buffer_unordered(8)
            .try_collect::<Vec<_>>()
            .await?;
        let listed = d
            .list_container_objects(c, None)
            .await
            .context("list_container_objects")?;
        let got: Vec<&str> = listed.iter().map(|o| o.name.as_str()).collect();
        ensure!(
            got == names,
            "the listing of 25 objects is {got:?}, expected {names:?} (all, in name order)"
        );
        for (object, data) in listed.iter().zip(&datas) {
            ensure!(
                object.size == data.len() as u64,
                "the listing gives {} a size of {}, expected {}",
                object.name,
                object.size,
                data.len()
            );
            ensure!(
                object.container == c,
                "the listing gives {} the container {:?}, expected {c:?}",
                object.name,
                object.container
            );
            if caps.hash_is_md5 {
                let expected = md5_hex(data);
                ensure!(
                    object
                        .hash
                        .as_deref()
                        .is_some_and(|h| h.eq_ignore_ascii_case(&expected)),
                    "the listing gives {} the hash {:?}, expected the MD5 {expected}",
                    object.name,
                    object.hash
                );
            }
        }
        for (prefix, expected) in [
            ("p/", &names[..20]),
            ("p/1", &names[10..20]),
            ("q/2", &names[20..25]),
            ("zzz/", &names[..0]),
        ] {
            let listed = d
                .list_container_objects(c, Some(prefix))
                .await
                .context(&format!("list_container_objects with prefix {prefix:?}"))?;
            let got: Vec<&str> = listed.iter().map(|o| o.name.as_str()).collect();
            ensure!(
                got == expected,
                "the listing with prefix {prefix:?} is {got:?}, expected {expected:?}"
            );
        }
        Ok(Outcome::Passed)
    })
    .await
}

/// `list_with_delimiter` splits objects from common prefixes at every level, also for a
/// prefix that ends inside a name.
pub async fn list_with_delimiter(d: &dyn StorageDriver) -> CaseResult {
    in_container(d, "list_with_delimiter", async |c| {
        for name in [
            "top.txt",
            "dir1/a",
            "dir1/b",
            "dir10/x",
            "dir2/d",
            "dir2/sub/c",
        ] {
            upload(d, c, name, Bytes::from(name.as_bytes().to_vec())).await?;
        }
        let cases: [(Option<&str>, &[&str], &[&str]); 4] = [
            (None, &["top.txt"], &["dir1/", "dir10/", "dir2/"]),
            (Some("dir2/"), &["dir2/d"], &["dir2/sub/"]),
            (Some("dir2/sub/"), &["dir2/sub/c"], &[]),
            (Some("di"), &[], &["dir1/", "dir10/", "dir2/"]),
        ];
        for (prefix, objects, prefixes) in cases {
            let result = d
                .list_with_delimiter(c, prefix, "/")
                .await
                .context(&format!("list_with_delimiter with prefix {prefix:?}"))?;
            let mut got_objects: Vec<&str> =
                result.objects.iter().map(|o| o.name.as_str()).collect();
            got_objects.sort_unstable();
            let mut got_prefixes: Vec<&str> =
                result.common_prefixes.iter().map(String::as_str).collect();
            got_prefixes.sort_unstable();
            ensure!(
                got_objects == objects && got_prefixes == prefixes,
                "list_with_delimiter with prefix {prefix:?} gave objects {got_objects:?} and \
                 prefixes {got_prefixes:?}, expected {objects:?} and {prefixes:?}"
            );
        }
        Ok(Outcome::Passed)
    })
    .await
}

/// With `ranged_download`: ranges read `start..end` (end exclusive), open-ended ranges read to
/// the end, an end past the size is clamped; the download's object keeps the whole size.
pub async fn ranged_download(d: &dyn StorageDriver) -> CaseResult {
    if !d.capabilities().ranged_download {
        return lacks("ranged_download");
    }
    in_container(d, "ranged_download", async |c| {
        let data = pattern(100, 3);
        upload(d, c, "ranged.bin", data.clone()).await?;
        for (start, end, expected) in [
            (10, Some(20), data.slice(10..20)),
            (0, Some(1), data.slice(0..1)),
            (90, None, data.slice(90..)),
            (95, Some(1000), data.slice(95..)),
            (0, None, data.clone()),
        ] {
            let range = ByteRange::new(start, end).context("ByteRange::new")?;
            let step = format!("download of range {start}..{end:?}");
            let download = d
                .download_object_as_stream(c, "ranged.bin", Some(range))
                .await
                .context(&step)?;
            ensure!(
                download.range == Some(range),
                "{step} reports the range {:?}",
                download.range
            );
            ensure!(
                download.object.size == 100,
                "{step}: the download's object has size {}, expected the whole object's 100",
                download.object.size
            );
            let bytes = download.bytes(READ_LIMIT).await.context(&step)?;
            check_bytes(&bytes, &expected, &step)?;
        }
        let via_ext = d
            .download_object_range_as_stream(c, "ranged.bin", 40, Some(45))
            .await
            .context("download_object_range_as_stream")?;
        let bytes = libcloud_core::body::collect_stream(via_ext, READ_LIMIT)
            .await
            .context("reading download_object_range_as_stream")?;
        check_bytes(
            &bytes,
            &data.slice(40..45),
            "download_object_range_as_stream(40, 45)",
        )?;
        Ok(Outcome::Passed)
    })
    .await
}

/// A missing object is `NotFound` of an object on `get_object` and on download, also after it
/// was deleted, and a deleted object leaves the listing.
pub async fn missing_object(d: &dyn StorageDriver) -> CaseResult {
    in_container(d, "missing_object", async |c| {
        expect_not_found(
            d.get_object(c, "never-was.txt").await,
            ResourceKind::Object,
            "get_object of a missing object",
        )?;
        expect_not_found(
            d.download_object_as_stream(c, "never-was.txt", None).await,
            ResourceKind::Object,
            "download_object_as_stream of a missing object",
        )?;
        upload(d, c, "short-lived.txt", Bytes::from_static(b"bye")).await?;
        d.delete_object(c, "short-lived.txt")
            .await
            .context("delete_object")?;
        expect_not_found(
            d.get_object(c, "short-lived.txt").await,
            ResourceKind::Object,
            "get_object after delete_object",
        )?;
        expect_not_found(
            d.download_object_as_stream(c, "short-lived.txt", None)
                .await,
            ResourceKind::Object,
            "download_object_as_stream after delete_object",
        )?;
        let listed = d
            .list_container_objects(c, None)
            .await
            .context("list_container_objects")?;
        ensure!(
            listed.is_empty(),
            "after delete_object the listing is {:?}, expected empty",
            summary(&listed)
        );
        Ok(Outcome::Passed)
    })
    .await
}

/// An upload whose stream fails after some bytes returns an error and leaves no object.
pub async fn failed_upload_leaves_no_object(d: &dyn StorageDriver) -> CaseResult {
    in_container(d, "failed_upload_leaves_no_object", async |c| {
        expect_err(
            d.upload_object_via_stream(
                c,
                "broken.bin",
                failing_stream(),
                &UploadOptions::default(),
            )
            .await,
            "upload_object_via_stream of a stream that fails",
        )?;
        expect_not_found(
            d.get_object(c, "broken.bin").await,
            ResourceKind::Object,
            "get_object after a failed upload",
        )?;
        let listed = d
            .list_container_objects(c, None)
            .await
            .context("list_container_objects")?;
        ensure!(
            listed.is_empty(),
            "after a failed upload the listing is {:?}, expected empty",
            summary(&listed)
        );
        Ok(Outcome::Passed)
    })
    .await
}

/// An upload whose stream fails keeps the previous version of the object intact.
pub async fn failed_upload_keeps_previous_version(d: &dyn StorageDriver) -> CaseResult {
    let caps = d.capabilities();
    in_container(d, "failed_upload_keeps_previous_version", async |c| {
        let v1 = Bytes::from_static(b"version one, intact");
        upload(d, c, "kept.txt", v1.clone()).await?;
        expect_err(
            d.upload_object_via_stream(c, "kept.txt", failing_stream(), &UploadOptions::default())
                .await,
            "upload_object_via_stream of a stream that fails",
        )?;
        let head = d
            .get_object(c, "kept.txt")
            .await
            .context("get_object after a failed upload")?;
        check_object(
            &head,
            c,
            "kept.txt",
            &v1,
            &caps,
            "get_object after a failed overwrite",
        )?;
        let bytes = d
            .download_object_as_bytes(c, "kept.txt", READ_LIMIT)
            .await
            .context("download after a failed upload")?;
        check_bytes(&bytes, &v1, "the previous version after a failed overwrite")?;
        Ok(Outcome::Passed)
    })
    .await
}

/// An empty object is stored, listed and read back with size 0 (and the MD5 of nothing).
pub async fn empty_object(d: &dyn StorageDriver) -> CaseResult {
    let caps = d.capabilities();
    in_container(d, "empty_object", async |c| {
        let empty = Bytes::new();
        let uploaded = upload(d, c, "empty", empty.clone()).await?;
        check_object(
            &uploaded,
            c,
            "empty",
            &empty,
            &caps,
            "the empty upload returned",
        )?;
        let head = d.get_object(c, "empty").await.context("get_object")?;
        check_object(&head, c, "empty", &empty, &caps, "get_object")?;
        let bytes = d
            .download_object_as_bytes(c, "empty", READ_LIMIT)
            .await
            .context("download of an empty object")?;
        check_bytes(&bytes, &empty, "downloaded bytes")?;
        let listed = d
            .list_container_objects(c, None)
            .await
            .context("list_container_objects")?;
        ensure!(
            listed.len() == 1 && listed[0].size == 0,
            "the listing is {:?}, expected one empty object",
            summary(&listed)
        );
        Ok(Outcome::Passed)
    })
    .await
}

/// A 3 MiB object sent in 64 KiB chunks comes back whole, checked by length and MD5 while
/// streaming.
pub async fn large_object(d: &dyn StorageDriver) -> CaseResult {
    let caps = d.capabilities();
    in_container(d, "large_object", async |c| {
        let data = pattern(3 * 1024 * 1024, 4);
        let uploaded = d
            .upload_object_via_stream(
                c,
                "large.bin",
                chunked(data.clone(), 64 * 1024),
                &UploadOptions::default(),
            )
            .await
            .context("upload_object_via_stream of 3 MiB")?;
        check_object(
            &uploaded,
            c,
            "large.bin",
            &data,
            &caps,
            "the upload returned",
        )?;
        let head = d.get_object(c, "large.bin").await.context("get_object")?;
        check_object(&head, c, "large.bin", &data, &caps, "get_object")?;
        let download = d
            .download_object_as_stream(c, "large.bin", None)
            .await
            .context("download_object_as_stream")?;
        let mut stream = download.stream;
        let mut md5 = Md5::new();
        let mut len = 0usize;
        while let Some(chunk) = stream.try_next().await.context("reading the download")? {
            if data.get(len..len + chunk.len()) != Some(&chunk[..]) {
                return Err(Failure::new(format!(
                    "the download differs from the upload within bytes {len}..{}",
                    len + chunk.len()
                )));
            }
            len += chunk.len();
            md5.update(&chunk);
        }
        ensure!(
            len == data.len(),
            "the download ended after {len} of {} bytes",
            data.len()
        );
        ensure!(md5.hex() == md5_hex(&data), "the download's MD5 differs");
        Ok(Outcome::Passed)
    })
    .await
}

/// `download_to_path` writes the object to a file, refuses to replace a file without
/// `overwrite`, replaces it with it, names the file after the object in a directory, reads
/// ranges, and creates nothing for a missing object.
pub async fn download_to_path(d: &dyn StorageDriver) -> CaseResult {
    in_container(d, "download_to_path", async |c| {
        let dir = tempfile::tempdir()
            .map_err(|e| Failure::new(format!("creating a temporary directory: {e}")))?;
        let first = pattern(5000, 5);
        upload(d, c, "files/file.txt", first.clone()).await?;
        let dest = dir.path().join("out.txt");
        let written = d
            .download_to_path(c, "files/file.txt", &dest, None, false)
            .await
            .context("download_to_path to a new file")?;
        ensure!(
            written == dest,
            "download_to_path wrote {written:?}, expected {dest:?}"
        );
        check_file(&dest, &first, "the downloaded file")?;

        expect_err(
            d.download_to_path(c, "files/file.txt", &dest, None, false)
                .await,
            "download_to_path onto an existing file without overwrite",
        )?;
        check_file(&dest, &first, "the file after a refused download")?;

        let second = pattern(777, 6);
        upload(d, c, "files/file.txt", second.clone()).await?;
        d.download_to_path(c, "files/file.txt", &dest, None, true)
            .await
            .context("download_to_path with overwrite")?;
        check_file(&dest, &second, "the file after an overwriting download")?;

        let into_dir = d
            .download_to_path(c, "files/file.txt", dir.path(), None, false)
            .await
            .context("download_to_path into a directory")?;
        let expected_path = dir.path().join("file.txt");
        ensure!(
            into_dir == expected_path,
            "download_to_path into a directory wrote {into_dir:?}, expected {expected_path:?}"
        );
        check_file(
            &expected_path,
            &second,
            "the file downloaded into a directory",
        )?;

        if d.capabilities().ranged_download {
            let part = dir.path().join("part.bin");
            let range = ByteRange::new(100, Some(200)).context("ByteRange::new")?;
            d.download_to_path(c, "files/file.txt", &part, Some(range), false)
                .await
                .context("download_to_path of a range")?;
            check_file(
                &part,
                &second.slice(100..200),
                "the file of a ranged download",
            )?;
        }

        let missing = dir.path().join("missing.txt");
        expect_not_found(
            d.download_to_path(c, "files/missing.txt", &missing, None, false)
                .await,
            ResourceKind::Object,
            "download_to_path of a missing object",
        )?;
        ensure!(
            !missing.exists(),
            "download_to_path of a missing object created {missing:?}"
        );
        Ok(Outcome::Passed)
    })
    .await
}

/// Names with spaces, non-ASCII letters and URL-special characters round-trip through upload,
/// `get_object`, download and listing.
pub async fn object_names_with_special_characters(d: &dyn StorageDriver) -> CaseResult {
    in_container(d, "object_names_with_special_characters", async |c| {
        let names = [
            "with space/file name.txt",
            "unicode/\u{fc}n\u{ef}c\u{f8}d\u{e9}.txt",
            "symbols/a+b=c&d;e,f@g(h)!.txt",
        ];
        for name in names {
            let data = Bytes::from(name.as_bytes().to_vec());
            upload(d, c, name, data.clone()).await?;
            let head = d
                .get_object(c, name)
                .await
                .context(&format!("get_object({name:?})"))?;
            ensure!(
                head.name == name && head.size == data.len() as u64,
                "get_object({name:?}) returned name {:?} size {}",
                head.name,
                head.size
            );
            let bytes = d
                .download_object_as_bytes(c, name, READ_LIMIT)
                .await
                .context(&format!("download of {name:?}"))?;
            check_bytes(&bytes, &data, &format!("download of {name:?}"))?;
        }
        let listed = d
            .list_container_objects(c, None)
            .await
            .context("list_container_objects")?;
        let mut expected: Vec<&str> = names.to_vec();
        expected.sort_unstable();
        let got: Vec<&str> = listed.iter().map(|o| o.name.as_str()).collect();
        ensure!(
            got == expected,
            "the listing is {got:?}, expected {expected:?}"
        );
        Ok(Outcome::Passed)
    })
    .await
}

/// With `object_cdn_url`: `get_object_cdn_url` returns an absolute URL (a scheme and a host)
/// whose path ends with the object's name.
pub async fn object_cdn_url(d: &dyn StorageDriver) -> CaseResult {
    if !d.capabilities().object_cdn_url {
        return lacks("object_cdn_url");
    }
    in_container(d, "object_cdn_url", async |c| {
        upload(d, c, "shared.txt", Bytes::from_static(b"public")).await?;
        let url = d
            .get_object_cdn_url(c, "shared.txt", Duration::from_secs(3600))
            .await
            .context("get_object_cdn_url")?;
        let uri: http::Uri = url.parse().map_err(|e| {
            Failure::new(format!(
                "get_object_cdn_url returned {url:?}, not a URL: {e}"
            ))
        })?;
        ensure!(
            uri.scheme().is_some() && uri.host().is_some_and(|h| !h.is_empty()),
            "get_object_cdn_url returned {url:?}, expected an absolute URL with a host"
        );
        ensure!(
            uri.path().ends_with("/shared.txt"),
            "get_object_cdn_url returned {url:?}, whose path does not end with the object's name"
        );
        Ok(Outcome::Passed)
    })
    .await
}

// ---------------------------------------------------------------------------------------------

/// Creates a container for `case`, runs `body` in it, and removes it (with its objects)
/// afterwards, whatever the outcome.
async fn in_container<F>(d: &dyn StorageDriver, case: &str, body: F) -> CaseResult
where
    F: AsyncFnOnce(&str) -> CaseResult,
{
    let name = case_name(case);
    d.create_container(&name)
        .await
        .context(&format!("create_container({name:?})"))?;
    let result = body(&name).await;
    remove_container(d, &name).await;
    result
}

/// Deletes every object of a container and then the container, ignoring errors.
async fn remove_container(d: &dyn StorageDriver, name: &str) {
    best_effort(CLEANUP_LIMIT, async {
        if let Ok(objects) = d.list_container_objects(name, None).await {
            for object in objects {
                let _ = d.delete_object(name, &object.name).await;
            }
        }
        let _ = d.delete_container(name).await;
    })
    .await;
}

async fn upload(
    d: &dyn StorageDriver,
    container: &str,
    name: &str,
    data: Bytes,
) -> Result<Object, Failure> {
    d.upload_bytes(container, name, data, &UploadOptions::default())
        .await
        .context(&format!("upload of {name:?}"))
}

/// `len` bytes that do not repeat at power-of-two strides, so misplaced chunks show.
fn pattern(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| ((i * 31 + seed as usize * 17) % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// `data` as a stream of `chunk`-byte pieces.
fn chunked(data: Bytes, chunk: usize) -> ByteStream {
    let pieces: Vec<libcloud_core::Result<Bytes>> = (0..data.len())
        .step_by(chunk)
        .map(|start| Ok(data.slice(start..(start + chunk).min(data.len()))))
        .collect();
    stream::iter(pieces).boxed()
}

/// A stream that yields 3 KiB and then fails.
fn failing_stream() -> ByteStream {
    let items: Vec<libcloud_core::Result<Bytes>> = vec![
        Ok(pattern(1024, 7)),
        Ok(pattern(2048, 8)),
        Err(Error::new(
            ErrorKind::Transport,
            "the upload source failed on purpose (conformance test)",
        )),
    ];
    stream::iter(items).boxed()
}

fn check_object(
    object: &Object,
    container: &str,
    name: &str,
    data: &[u8],
    caps: &StorageCapabilities,
    what: &str,
) -> Result<(), Failure> {
    ensure!(
        object.name == name,
        "{what}: name {:?}, expected {name:?}",
        object.name
    );
    ensure!(
        object.container == container,
        "{what}: container {:?}, expected {container:?}",
        object.container
    );
    ensure!(
        object.size == data.len() as u64,
        "{what}: size {}, expected {}",
        object.size,
        data.len()
    );
    if caps.hash_is_md5 {
        let expected = md5_hex(data);
        ensure!(
            object
                .hash
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(&expected)),
            "{what}: hash {:?}, expected the MD5 {expected} (the driver says hash_is_md5)",
            object.hash
        );
    }
    Ok(())
}

fn check_bytes(got: &[u8], expected: &[u8], what: &str) -> Result<(), Failure> {
    if got == expected {
        return Ok(());
    }
    let first_diff = got
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(expected.len()));
    Err(Failure::new(format!(
        "{what}: {} bytes, expected {}; first difference at byte {first_diff}",
        got.len(),
        expected.len()
    )))
}

fn check_file(path: &std::path::Path, expected: &[u8], what: &str) -> Result<(), Failure> {
    let got =
        std::fs::read(path).map_err(|e| Failure::new(format!("{what}: reading {path:?}: {e}")))?;
    check_bytes(&got, expected, what)
}

fn summary(objects: &[Object]) -> Vec<(String, u64)> {
    objects.iter().map(|o| (o.name.clone(), o.size)).collect()
}
