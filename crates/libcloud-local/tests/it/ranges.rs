//! Ranged and chunked downloads.

use futures::TryStreamExt;
use libcloud_core::{ByteRange, ErrorKind, StorageDriver, StorageDriverExt};

use crate::support::{Fixture, assert_invalid, pattern};

async fn fixture() -> (Fixture, Vec<u8>) {
    let f = Fixture::new();
    f.storage.create_container("c").await.unwrap();
    let data = pattern(200_000);
    f.put("c", "obj", &data).await;
    f.put("c", "empty", b"").await;
    (f, data)
}

async fn chunks(f: &Fixture, range: Option<ByteRange>) -> Vec<libcloud_core::Bytes> {
    f.storage
        .download_object_as_stream("c", "obj", range)
        .await
        .unwrap()
        .stream
        .try_collect()
        .await
        .unwrap()
}

async fn read_range(f: &Fixture, start: u64, end: Option<u64>) -> Vec<u8> {
    chunks(f, Some(ByteRange::new(start, end).unwrap()))
        .await
        .concat()
}

#[tokio::test]
async fn whole_downloads_come_in_bounded_chunks() {
    let (f, data) = fixture().await;
    let parts = chunks(&f, None).await;
    assert!(parts.len() >= 4, "{} chunks", parts.len());
    assert!(parts.iter().all(|c| !c.is_empty() && c.len() <= 64 * 1024));
    assert_eq!(parts.concat(), data);
    let download = f
        .storage
        .download_object_as_stream("c", "obj", None)
        .await
        .unwrap();
    assert_eq!(download.object.size, 200_000);
    assert_eq!(download.range, None);
}

#[tokio::test]
async fn ranges_read_only_their_bytes() {
    let (f, data) = fixture().await;
    assert_eq!(read_range(&f, 0, None).await, data);
    assert_eq!(read_range(&f, 150_000, None).await, &data[150_000..]);
    assert_eq!(read_range(&f, 10, Some(20)).await, &data[10..20]);
    assert_eq!(
        read_range(&f, 65_530, Some(131_080)).await,
        &data[65_530..131_080]
    );
    assert_eq!(read_range(&f, 199_999, None).await, &data[199_999..]);
    // An end past the size is clamped.
    assert_eq!(
        read_range(&f, 199_990, Some(1_000_000)).await,
        &data[199_990..]
    );
    let parts = chunks(&f, Some(ByteRange::new(1, Some(150_001)).unwrap())).await;
    assert!(parts.iter().all(|c| c.len() <= 64 * 1024));
    assert_eq!(parts.concat(), &data[1..150_001]);
    let via_ext = f
        .storage
        .download_object_range_as_stream("c", "obj", 5, Some(8))
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .concat();
    assert_eq!(via_ext, &data[5..8]);
    let download = f
        .storage
        .download_object_as_stream("c", "obj", Some(ByteRange::from(7)))
        .await
        .unwrap();
    assert_eq!(download.range, Some(ByteRange::from(7)));
    assert_eq!(download.object.size, 200_000);
}

#[tokio::test]
async fn ranges_past_the_end_are_invalid_input() {
    let (f, _) = fixture().await;
    let s = &f.storage;
    for start in [200_000, 200_001, u64::MAX] {
        assert_invalid(
            s.download_object_as_stream("c", "obj", Some(ByteRange::from(start)))
                .await,
            &format!("start {start}"),
        );
    }
    assert_invalid(
        s.download_object_as_stream("c", "empty", Some(ByteRange::from(1)))
            .await,
        "start 1 of an empty object",
    );
    // Ranges built by hand, bypassing `ByteRange::new`, are checked too.
    for (start, end) in [(10, 10), (10, 5)] {
        let range = ByteRange {
            start,
            end: Some(end),
        };
        assert_invalid(
            s.download_object_as_stream("c", "obj", Some(range)).await,
            &format!("{start}..{end}"),
        );
    }
    let result = s
        .download_object_range_as_stream("c", "obj", 9, Some(3))
        .await;
    assert!(matches!(result, Err(e) if *e.kind() == ErrorKind::InvalidInput));
}

#[tokio::test]
async fn an_empty_object_reads_as_empty() {
    let (f, _) = fixture().await;
    let whole = f.read("c", "empty").await;
    assert!(whole.is_empty());
    let from_zero: Vec<_> = f
        .storage
        .download_object_as_stream("c", "empty", Some(ByteRange::from(0)))
        .await
        .unwrap()
        .stream
        .try_collect()
        .await
        .unwrap();
    assert!(from_zero.concat().is_empty());
}

#[cfg(unix)]
#[tokio::test]
async fn a_download_keeps_reading_the_bytes_it_opened() {
    let (f, data) = fixture().await;
    let download = f
        .storage
        .download_object_as_stream("c", "obj", None)
        .await
        .unwrap();
    // Replaced and then deleted while the download is open: the reader still gets the old bytes.
    f.put("c", "obj", b"replacement").await;
    f.storage.delete_object("c", "obj").await.unwrap();
    let got: Vec<_> = download.stream.try_collect().await.unwrap();
    assert_eq!(got.concat(), data);
}
