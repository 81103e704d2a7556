//! Fuzzing name handling with proptest: container names, object names and listing prefixes
//! made of path tricks (`..`, `/`, `\`, NUL, `.libcloud`, long segments, non-ASCII) or of any
//! characters at all. Every call answers or fails with a typed error, never panics, never
//! writes outside the root, and a name that was accepted reads back exactly as stored.
//! `PROPTEST_CASES` sets how many cases each property tries (48 by default: each touches the
//! disk).

use std::path::Path;

use futures::TryStreamExt;
use libcloud_core::{Bytes, ErrorKind, StorageDriver, StorageDriverExt, UploadOptions};
use proptest::prelude::*;

use crate::support::{Fixture, Node, snapshot};

/// Pieces that names are made of, chosen for the ways a path can escape or confuse.
const PIECES: &[&str] = &[
    "a",
    "b",
    "photos",
    "..",
    ".",
    "/",
    "//",
    "\\",
    "\0",
    ".libcloud",
    ".libcloud-meta",
    "~",
    "%2e%2e",
    "%2f",
    " ",
    "\t",
    "\n",
    "é",
    "\u{202e}",
    "\u{FEFF}",
    "C:",
    "C:\\",
    "NUL",
    "con",
    ":",
    "*",
    "?",
    "\"",
    "<",
    ">",
    "|",
    "-",
    ".tmp",
    ".part",
    "meta.json",
];

fn name() -> BoxedStrategy<String> {
    prop_oneof![
        4 => prop::collection::vec(prop::sample::select(PIECES), 1..8).prop_map(|p| p.concat()),
        2 => any::<String>(),
        1 => (1usize..1100).prop_map(|n| "x".repeat(n)),
        1 => (1usize..6, 200usize..300).prop_map(|(k, n)| vec!["y".repeat(n); k].join("/")),
    ]
    .boxed()
}

fn allowed(kind: &ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::InvalidInput
            | ErrorKind::NotFound { .. }
            | ErrorKind::AlreadyExists { .. }
            | ErrorKind::NotEmpty { .. }
    )
}

/// Every path in the folder around the root must be the root or under it.
fn assert_nothing_outside(fixture: &Fixture) -> Result<(), TestCaseError> {
    for (path, node) in snapshot(fixture.parent()) {
        prop_assert!(
            path.starts_with("root"),
            "{} ({node:?}) was written outside the root",
            path.display()
        );
        prop_assert!(
            !matches!(node, Node::Link(_)),
            "a link appeared: {}",
            path.display()
        );
    }
    Ok(())
}

async fn exercise(
    fixture: &Fixture,
    container: &str,
    object: &str,
    prefix: &str,
) -> Result<(), TestCaseError> {
    let s = &fixture.storage;
    let data = Bytes::from(format!("content of {object:?}"));
    let created = s.create_container(container).await;
    if let Err(e) = &created {
        prop_assert!(allowed(e.kind()), "create_container({container:?}): {e}");
    }
    let uploaded = s
        .upload_bytes(container, object, data.clone(), &UploadOptions::default())
        .await;
    match &uploaded {
        Ok(obj) => {
            prop_assert!(created.is_ok(), "an upload into a refused container worked");
            prop_assert_eq!(&obj.name, object);
            let back = s
                .download_object_as_bytes(container, object, 1 << 20)
                .await
                .map_err(|e| TestCaseError::fail(format!("reading {object:?} back: {e}")))?;
            prop_assert_eq!(back, data);
            let listed: Vec<String> = s
                .iterate_container_objects(container, None)
                .map_ok(|o| o.name)
                .try_collect()
                .await
                .map_err(|e| TestCaseError::fail(format!("listing: {e}")))?;
            prop_assert!(
                listed.iter().any(|n| n == object),
                "{object:?} not in {listed:?}"
            );
        }
        Err(e) => prop_assert!(allowed(e.kind()), "upload({container:?}, {object:?}): {e}"),
    }
    for result in [
        s.get_object(container, object).await.map(drop),
        s.download_object_as_stream(container, object, None)
            .await
            .map(drop),
        s.list_container_objects(container, Some(prefix))
            .await
            .map(drop),
        s.list_with_delimiter(container, Some(prefix), "/")
            .await
            .map(drop),
        s.get_container(container).await.map(drop),
    ] {
        if let Err(e) = result {
            prop_assert!(
                allowed(e.kind()),
                "{container:?}/{object:?} ({prefix:?}): {e}"
            );
        }
    }
    let target = fixture.parent().join("downloads");
    std::fs::create_dir_all(&target).unwrap();
    if let Err(e) = s
        .download_to_path(container, object, &target, None, true)
        .await
    {
        prop_assert!(allowed(e.kind()), "download_to_path({object:?}): {e}");
    }
    for result in [
        s.delete_object(container, object).await,
        s.delete_container(container).await,
    ] {
        if let Err(e) = result {
            prop_assert!(allowed(e.kind()), "deleting {container:?}/{object:?}: {e}");
        }
    }
    // Downloads go to `downloads/` beside the root, and only under their own base name.
    for entry in std::fs::read_dir(&target).unwrap() {
        let file = entry.unwrap().path();
        let base = object.rsplit('/').next().unwrap_or(object);
        prop_assert_eq!(file.file_name().and_then(|f| f.to_str()), Some(base));
        std::fs::remove_file(file).unwrap();
    }
    std::fs::remove_dir(&target).unwrap();
    Ok(())
}

proptest! {
    // Each case touches the disk (with fsync): 48 cases keep the default run to a few seconds.
    #![proptest_config(libcloud_testkit::fuzz::config(48))]

    #[test]
    fn names_never_escape_the_root(container in name(), object in name(), prefix in name()) {
        let fixture = Fixture::new();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(exercise(&fixture, &container, &object, &prefix))?;
        assert_nothing_outside(&fixture)?;
    }

    #[test]
    fn accepted_names_round_trip_in_a_shared_container(objects in prop::collection::vec(name(), 1..12)) {
        let fixture = Fixture::new();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let s = &fixture.storage;
            s.create_container("c").await.unwrap();
            let mut stored = std::collections::BTreeMap::new();
            for (i, object) in objects.iter().enumerate() {
                let data = Bytes::from(format!("{i}"));
                match s.upload_bytes("c", object, data.clone(), &UploadOptions::default()).await {
                    Ok(_) => {
                        stored.insert(object.clone(), data);
                    }
                    // A name that is a folder of an earlier one (or the other way round) may be
                    // refused; nothing else may.
                    Err(e) => prop_assert!(allowed(e.kind()), "{object:?}: {e}"),
                }
            }
            let listed: Vec<String> = s
                .iterate_container_objects("c", None)
                .map_ok(|o| o.name)
                .try_collect()
                .await
                .unwrap();
            // Whatever is listed was stored, under exactly its name, with its last content.
            for name in &listed {
                let back = s.download_object_as_bytes("c", name, 1024).await.unwrap();
                prop_assert_eq!(Some(&back), stored.get(name), "{:?}", name);
            }
            let stored_names: Vec<&String> = stored.keys().collect();
            let listed_names: Vec<&String> = listed.iter().collect();
            prop_assert_eq!(stored_names, listed_names, "every stored name is listed");
            let mut sorted = listed.clone();
            sorted.sort();
            prop_assert_eq!(&listed, &sorted, "listings are in name order");
            Ok(())
        })?;
        assert_nothing_outside(&fixture)?;
        prop_assert!(Path::new(fixture.storage.root()).is_dir());
    }
}
