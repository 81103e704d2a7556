//! S3's XML answers: bucket, object and multipart-upload listings, and the answers to starting
//! and completing a multipart upload.
#![no_main]

use libcloud_core::{Bytes, StorageDriver, StorageDriverExt, UploadOptions, futures};
use libcloud_fuzz::{answering, block_on, check, split};
use libcloud_s3::{S3Config, S3Storage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = split(data) else { return };
    let config = S3Config::new()
        .with_endpoint("http://s3.test")
        .with_credentials("AKIDFUZZ", "fuzz-secret");
    let Ok(creds) = config.credential_provider() else {
        return;
    };
    let transport = answering(input.status, input.body, 3);
    let Ok(s3) = S3Storage::with_transport(config, transport, creds) else {
        return;
    };
    check(block_on(async {
        use futures::TryStreamExt;
        match input.op % 7 {
            0 => s3.list_containers().await.map(drop),
            1 => s3.list_container_objects("b", Some("p/")).await.map(drop),
            2 => s3.list_with_delimiter("b", Some("p/"), "/").await.map(drop),
            3 => s3
                .ex_iterate_multipart_uploads("b", None)
                .try_collect::<Vec<_>>()
                .await
                .map(drop),
            4 => s3.get_object("b", "k").await.map(drop),
            5 => s3
                .download_object_as_bytes("b", "k", 1 << 20)
                .await
                .map(drop),
            _ => s3
                .upload_bytes(
                    "b",
                    "k",
                    Bytes::from_static(b"a"),
                    &UploadOptions::default(),
                )
                .await
                .map(drop),
        }
    }));
});
