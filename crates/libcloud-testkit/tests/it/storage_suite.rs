//! The storage suite against a small in-test driver: correct, it passes every case; with one
//! deliberate bug, the case that covers it fails and `run` panics.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;

use futures::FutureExt;
use futures::stream::{self, BoxStream, StreamExt};
use libcloud_core::body::{ByteStream, collect_stream, once_stream};
use libcloud_core::hash::md5_hex;
use libcloud_core::storage::guess_content_type;
use libcloud_core::{
    ByteRange, Container, Download, Error, Object, ResourceKind, Result, StorageCapabilities,
    StorageDriver, UploadOptions, async_trait,
};
use libcloud_testkit::conformance::{Outcome, Status, storage};

/// One deliberate bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    DeleteKeepsContainer,
    MissingObjectSaysContainer,
    FailedUploadStoresPart,
    ListingUnsorted,
    RangeOffByOne,
    WrongHash,
    IgnoresContentType,
    DuplicateCreateSucceeds,
    DeletesNonEmpty,
    TruncatesLargeObjects,
}

/// Objects of one container by name: their bytes and metadata.
type Objects = BTreeMap<String, (Vec<u8>, Object)>;

#[derive(Debug, Default)]
pub struct FakeStorage {
    containers: Mutex<BTreeMap<String, Objects>>,
    fault: Option<Fault>,
}

impl FakeStorage {
    pub fn with_fault(fault: Fault) -> Self {
        FakeStorage {
            fault: Some(fault),
            ..Default::default()
        }
    }

    fn has(&self, fault: Fault) -> bool {
        self.fault == Some(fault)
    }

    fn missing_object(&self, name: &str) -> Error {
        if self.has(Fault::MissingObjectSaysContainer) {
            Error::not_found(ResourceKind::Container, name)
        } else {
            Error::not_found(ResourceKind::Object, name)
        }
    }

    fn find(&self, container: &str, name: &str) -> Result<(Vec<u8>, Object)> {
        let containers = self.containers.lock().unwrap();
        let objects = containers
            .get(container)
            .ok_or_else(|| Error::not_found(ResourceKind::Container, container))?;
        objects
            .get(name)
            .cloned()
            .ok_or_else(|| self.missing_object(name))
    }
}

#[async_trait]
impl StorageDriver for FakeStorage {
    fn name(&self) -> &str {
        "fake"
    }

    fn capabilities(&self) -> StorageCapabilities {
        let mut caps = StorageCapabilities::default();
        caps.hash_is_md5 = true;
        caps.ranged_download = true;
        caps.user_metadata = true;
        caps.content_type = true;
        caps
    }

    fn iterate_containers(&self) -> BoxStream<'_, Result<Container>> {
        let names: Vec<Result<Container>> = self
            .containers
            .lock()
            .unwrap()
            .keys()
            .map(|n| Ok(Container::new(n.clone())))
            .collect();
        stream::iter(names).boxed()
    }

    async fn get_container(&self, name: &str) -> Result<Container> {
        if self.containers.lock().unwrap().contains_key(name) {
            Ok(Container::new(name))
        } else {
            Err(Error::not_found(ResourceKind::Container, name))
        }
    }

    async fn create_container(&self, name: &str) -> Result<Container> {
        let mut containers = self.containers.lock().unwrap();
        if containers.contains_key(name) && !self.has(Fault::DuplicateCreateSucceeds) {
            return Err(Error::already_exists(ResourceKind::Container, name));
        }
        containers.entry(name.to_string()).or_default();
        Ok(Container::new(name))
    }

    async fn delete_container(&self, name: &str) -> Result<()> {
        let mut containers = self.containers.lock().unwrap();
        let objects = containers
            .get(name)
            .ok_or_else(|| Error::not_found(ResourceKind::Container, name))?;
        if !objects.is_empty() && !self.has(Fault::DeletesNonEmpty) {
            return Err(Error::not_empty(ResourceKind::Container, name));
        }
        if !self.has(Fault::DeleteKeepsContainer) {
            containers.remove(name);
        }
        Ok(())
    }

    fn iterate_container_objects<'a>(
        &'a self,
        container: &'a str,
        prefix: Option<&'a str>,
    ) -> BoxStream<'a, Result<Object>> {
        let containers = self.containers.lock().unwrap();
        let Some(objects) = containers.get(container) else {
            let err = Error::not_found(ResourceKind::Container, container);
            return stream::once(async move { Err(err) }).boxed();
        };
        let mut list: Vec<Result<Object>> = objects
            .values()
            .filter(|(_, o)| o.name.starts_with(prefix.unwrap_or("")))
            .map(|(_, o)| Ok(o.clone()))
            .collect();
        if self.has(Fault::ListingUnsorted) {
            list.reverse();
        }
        stream::iter(list).boxed()
    }

    async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        self.find(container, name).map(|(_, o)| o)
    }

    async fn download_object_as_stream(
        &self,
        container: &str,
        name: &str,
        range: Option<ByteRange>,
    ) -> Result<Download> {
        let (data, object) = self.find(container, name)?;
        let (start, end) = match range {
            Some(r) => r.clamp(object.size)?,
            None => (0, object.size),
        };
        let (start, end) = (start as usize, end as usize);
        let start = if self.has(Fault::RangeOffByOne) && range.is_some() {
            start + 1
        } else {
            start
        };
        let mut bytes = data.get(start.min(end)..end).unwrap_or_default().to_vec();
        if self.has(Fault::TruncatesLargeObjects) && bytes.len() > 1024 * 1024 {
            bytes.truncate(1024 * 1024);
        }
        let chunks: Vec<Result<libcloud_core::Bytes>> = bytes
            .chunks(10_000)
            .map(|c| Ok(libcloud_core::Bytes::copy_from_slice(c)))
            .collect();
        Ok(Download {
            object,
            range,
            stream: stream::iter(chunks).boxed(),
        })
    }

    async fn upload_object_via_stream(
        &self,
        container: &str,
        name: &str,
        body: ByteStream,
        options: &UploadOptions,
    ) -> Result<Object> {
        self.get_container(container).await?;
        let mut body = body;
        let mut data = Vec::new();
        let mut failure = None;
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(c) => data.extend_from_slice(&c),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if failure.is_some() && !self.has(Fault::FailedUploadStoresPart) {
            return Err(failure.unwrap_or_else(|| Error::invalid_input("unreachable")));
        }
        let hash = if self.has(Fault::WrongHash) {
            md5_hex(b"something else")
        } else {
            md5_hex(&data)
        };
        let content_type = if self.has(Fault::IgnoresContentType) {
            "application/octet-stream".to_string()
        } else {
            options
                .content_type
                .clone()
                .unwrap_or_else(|| guess_content_type(name))
        };
        let object = Object {
            name: name.to_string(),
            container: container.to_string(),
            size: data.len() as u64,
            hash: Some(hash),
            content_type: Some(content_type),
            last_modified: Some(std::time::SystemTime::now()),
            meta_data: options
                .meta_data
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
            extra: Default::default(),
        };
        self.containers
            .lock()
            .unwrap()
            .get_mut(container)
            .ok_or_else(|| Error::not_found(ResourceKind::Container, container))?
            .insert(name.to_string(), (data, object.clone()));
        match failure {
            Some(e) => Err(e),
            None => Ok(object),
        }
    }

    async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        let mut containers = self.containers.lock().unwrap();
        let objects = containers
            .get_mut(container)
            .ok_or_else(|| Error::not_found(ResourceKind::Container, container))?;
        objects
            .remove(name)
            .map(drop)
            .ok_or_else(|| self.missing_object(name))
    }
}

fn failed(status: Option<&Status>) -> bool {
    matches!(status, Some(Status::Failed(_)))
}

#[tokio::test]
async fn a_correct_driver_passes_every_case() {
    let driver = FakeStorage::default();
    let report = storage::report(&driver).await;
    assert!(report.failures().is_empty(), "{report:#?}");
    assert_eq!(
        report.status("object_cdn_url"),
        Some(&Status::Skipped("driver lacks object_cdn_url".into()))
    );
    assert_eq!(report.ran(), report.cases.len() - 1);
    // Every case cleaned up after itself.
    assert!(driver.containers.lock().unwrap().is_empty());
    storage::run(&driver).await;
}

#[tokio::test]
async fn single_cases_can_be_called() {
    let driver = FakeStorage::default();
    assert_eq!(
        storage::container_lifecycle(&driver).await,
        Ok(Outcome::Passed)
    );
    assert_eq!(
        storage::object_cdn_url(&driver).await,
        Ok(Outcome::Skipped("driver lacks object_cdn_url".into()))
    );
}

#[tokio::test]
async fn each_bug_fails_the_case_that_covers_it() {
    let expectations = [
        (Fault::DeleteKeepsContainer, "container_lifecycle"),
        (Fault::MissingObjectSaysContainer, "missing_object"),
        (
            Fault::FailedUploadStoresPart,
            "failed_upload_leaves_no_object",
        ),
        (
            Fault::FailedUploadStoresPart,
            "failed_upload_keeps_previous_version",
        ),
        (Fault::ListingUnsorted, "list_objects_in_order_with_prefix"),
        (Fault::RangeOffByOne, "ranged_download"),
        (Fault::WrongHash, "object_round_trip_bytes"),
        (Fault::WrongHash, "empty_object"),
        (Fault::IgnoresContentType, "content_type_round_trip"),
        (Fault::DuplicateCreateSucceeds, "container_already_exists"),
        (Fault::DeletesNonEmpty, "delete_non_empty_container"),
        (Fault::TruncatesLargeObjects, "large_object"),
    ];
    for (fault, case) in expectations {
        let driver = FakeStorage::with_fault(fault);
        let report = storage::report(&driver).await;
        assert!(
            failed(report.status(case)),
            "{fault:?} should fail {case}: {report:#?}"
        );
        // Unrelated cases still pass: the failure is pinned to the behaviour.
        assert_eq!(report.status("missing_container"), Some(&Status::Ok));
    }
}

#[tokio::test]
async fn run_panics_listing_the_failures() {
    let driver = FakeStorage::with_fault(Fault::RangeOffByOne);
    let panic = AssertUnwindSafe(storage::run(&driver))
        .catch_unwind()
        .await
        .unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("storage/ranged_download: FAILED"),
        "{message}"
    );
}

#[tokio::test]
async fn a_failing_case_reports_why() {
    let driver = FakeStorage::with_fault(Fault::RangeOffByOne);
    let failure = storage::ranged_download(&driver).await.unwrap_err();
    assert!(
        failure.message().contains("range 10..Some(20)"),
        "{failure}"
    );
    // The case removed its container even though it failed.
    assert!(driver.containers.lock().unwrap().is_empty());
}

/// A driver that panics in the middle of a case is reported as failed, not a crash of the run.
#[tokio::test]
async fn a_panicking_driver_fails_the_case() {
    #[derive(Debug)]
    struct Panicky(FakeStorage);

    #[async_trait]
    impl StorageDriver for Panicky {
        fn name(&self) -> &str {
            "panicky"
        }
        fn capabilities(&self) -> StorageCapabilities {
            self.0.capabilities()
        }
        fn iterate_containers(&self) -> BoxStream<'_, Result<Container>> {
            self.0.iterate_containers()
        }
        async fn get_container(&self, name: &str) -> Result<Container> {
            self.0.get_container(name).await
        }
        async fn create_container(&self, name: &str) -> Result<Container> {
            self.0.create_container(name).await
        }
        async fn delete_container(&self, name: &str) -> Result<()> {
            self.0.delete_container(name).await
        }
        fn iterate_container_objects<'a>(
            &'a self,
            container: &'a str,
            prefix: Option<&'a str>,
        ) -> BoxStream<'a, Result<Object>> {
            self.0.iterate_container_objects(container, prefix)
        }
        async fn get_object(&self, _container: &str, _name: &str) -> Result<Object> {
            panic!("get_object exploded")
        }
        async fn download_object_as_stream(
            &self,
            container: &str,
            name: &str,
            range: Option<ByteRange>,
        ) -> Result<Download> {
            self.0
                .download_object_as_stream(container, name, range)
                .await
        }
        async fn upload_object_via_stream(
            &self,
            container: &str,
            name: &str,
            body: ByteStream,
            options: &UploadOptions,
        ) -> Result<Object> {
            self.0
                .upload_object_via_stream(container, name, body, options)
                .await
        }
        async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
            self.0.delete_object(container, name).await
        }
    }

    let report = storage::report(&Panicky(FakeStorage::default())).await;
    match report.status("object_round_trip_bytes") {
        Some(Status::Failed(why)) => assert!(why.contains("get_object exploded"), "{why}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(report.status("container_lifecycle"), Some(&Status::Ok));
}

#[tokio::test]
async fn fake_helpers_behave() {
    // The in-test driver itself: a sanity check that the suites' verdicts are about the
    // suites and not about a broken fake.
    let d = FakeStorage::default();
    d.create_container("c").await.unwrap();
    let s = once_stream("hello");
    d.upload_object_via_stream("c", "k", s, &UploadOptions::default())
        .await
        .unwrap();
    let dl = d.download_object_as_stream("c", "k", None).await.unwrap();
    assert_eq!(&collect_stream(dl.stream, 100).await.unwrap()[..], b"hello");
}
