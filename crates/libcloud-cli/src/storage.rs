//! `libcloud storage ...`: containers and objects, and streaming copies between files,
//! standard input and output, and any two providers.

use std::path::{Path, PathBuf};

use futures::{StreamExt, TryStreamExt};
use libcloud::hash::Md5;
use libcloud::storage::file_stream;
use libcloud::{
    ByteRange, ByteStream, Bytes, Container, Error, ErrorKind, Object, ResourceKind, Result,
    UploadOptions,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::args::{StorageCommand, UploadArgs};
use crate::context::{Ctx, StorageRef, looks_like_url};
use crate::output::{Column, time};
use crate::progress::{track, transfer_bar};

/// How many bytes each read of a file or standard input asks for.
const CHUNK: usize = 64 * 1024;

const CONTAINER_COLUMNS: &[Column<Container>] = &[("name", |c| c.name.clone())];

const OBJECT_COLUMNS: &[Column<Object>] = &[
    ("size", |o| o.size.to_string()),
    ("last_modified", |o| time(&o.last_modified)),
    ("name", |o| o.name.clone()),
];

/// Runs one storage command.
pub async fn run(ctx: &Ctx<'_>, command: StorageCommand) -> Result<()> {
    match command {
        StorageCommand::Ls { url, delimiter } => ls(ctx, url.as_deref(), delimiter).await,
        StorageCommand::Mb { url } => {
            let r = ctx.storage_ref(&url)?;
            let name = container_only(&r)?;
            let driver = ctx.open_storage(&r.config)?;
            let container = driver.create_container(name).await?;
            ctx.printer.show(&container)
        }
        StorageCommand::Rb { url, force } => {
            let r = ctx.storage_ref(&url)?;
            let name = container_only(&r)?;
            let driver = ctx.open_storage(&r.config)?;
            if force {
                delete_under(ctx, &r, name, None).await?;
            }
            driver.delete_container(name).await
        }
        StorageCommand::Put {
            source,
            url,
            upload,
        } => {
            let from = match endpoint(ctx, &source)? {
                End::Object(_) => {
                    return Err(Error::invalid_input(format!(
                        "put sends a file or standard input, and {source:?} is a URL; use `storage cp` to copy between URLs"
                    )));
                }
                other => other,
            };
            let to = End::Object(ctx.storage_ref(&url)?);
            transfer(ctx, "put", from, to, &upload, None).await
        }
        StorageCommand::Get {
            url,
            destination,
            range,
        } => {
            let range = range.as_deref().map(parse_range).transpose()?;
            let from = End::Object(ctx.storage_ref(&url)?);
            let to = match endpoint(ctx, &destination)? {
                End::Object(_) => {
                    return Err(Error::invalid_input(format!(
                        "get writes a file or standard output, and {destination:?} is a URL; use `storage cp` to copy between URLs"
                    )));
                }
                other => other,
            };
            transfer(ctx, "get", from, to, &UploadArgs::default(), range).await
        }
        StorageCommand::Cp {
            source,
            destination,
            upload,
        } => {
            let from = endpoint(ctx, &source)?;
            let to = endpoint(ctx, &destination)?;
            transfer(ctx, "cp", from, to, &upload, None).await
        }
        StorageCommand::Rm { urls, recursive } => {
            for url in urls {
                let r = ctx.storage_ref(&url)?;
                if recursive {
                    let container = r.container()?;
                    delete_under(ctx, &r, container, r.key.as_deref()).await?;
                } else {
                    let (container, key) = r.object()?;
                    let driver = ctx.open_storage(&r.config)?;
                    driver.delete_object(container, key).await?;
                }
            }
            Ok(())
        }
        StorageCommand::Stat { url } => {
            let r = ctx.storage_ref(&url)?;
            let driver = ctx.open_storage(&r.config)?;
            match r.key.as_deref() {
                None => ctx
                    .printer
                    .show(&driver.get_container(r.container()?).await?),
                Some(_) => {
                    let (container, key) = r.object()?;
                    ctx.printer.show(&driver.get_object(container, key).await?)
                }
            }
        }
        StorageCommand::Url { url, expires } => {
            let r = ctx.storage_ref(&url)?;
            let (container, key) = r.object()?;
            let driver = ctx.open_storage(&r.config)?;
            let link = driver.get_object_cdn_url(container, key, expires).await?;
            ctx.printer.text(&format!("{link}\n"))
        }
    }
}

/// The container of a URL that must name a container and nothing under it.
fn container_only(r: &StorageRef) -> Result<&str> {
    let name = r.container()?;
    if r.key.is_some() {
        return Err(Error::invalid_input(format!(
            "{:?} names an object; this command takes SCHEME://CONTAINER",
            r.text
        )));
    }
    Ok(name)
}

async fn ls(ctx: &Ctx<'_>, url: Option<&str>, delimiter: Option<String>) -> Result<()> {
    let r = match url {
        Some(url) => ctx.storage_ref(url)?,
        None => ctx.storage_root()?,
    };
    let driver = ctx.open_storage(&r.config)?;
    let printer = ctx.printer;
    let Some(container) = r.container.as_deref() else {
        if r.key.is_some() {
            return Err(Error::invalid_input("a key needs a container"));
        }
        let mut stream = driver.iterate_containers();
        let mut all = Vec::new();
        while let Some(c) = stream.try_next().await? {
            if printer.is_json() {
                printer.json_line(&c)?;
            } else {
                all.push(c);
            }
        }
        return printer.list(&all, CONTAINER_COLUMNS);
    };
    let prefix = r.key.as_deref();
    match delimiter {
        None => {
            let mut stream = driver.iterate_container_objects(container, prefix);
            let mut all = Vec::new();
            while let Some(o) = stream.try_next().await? {
                if printer.is_json() {
                    printer.json_line(&o)?;
                } else {
                    all.push(o);
                }
            }
            printer.list(&all, OBJECT_COLUMNS)
        }
        Some(delimiter) => {
            let listing = driver
                .list_with_delimiter(container, prefix, &delimiter)
                .await?;
            if printer.is_json() {
                for p in &listing.common_prefixes {
                    printer.json_line(&serde_json::json!({ "prefix": p }))?;
                }
                for o in &listing.objects {
                    printer.json_line(o)?;
                }
                return Ok(());
            }
            let mut rows: Vec<(String, String, String)> = listing
                .common_prefixes
                .iter()
                .map(|p| ("-".into(), "-".into(), p.clone()))
                .collect();
            rows.extend(
                listing
                    .objects
                    .iter()
                    .map(|o| (o.size.to_string(), time(&o.last_modified), o.name.clone())),
            );
            let rows: Vec<Vec<String>> = rows.into_iter().map(|(a, b, c)| vec![a, b, c]).collect();
            let headings = ["size", "last_modified", "name"].map(String::from);
            printer.text(&crate::output::render_table(&headings, &rows))
        }
    }
}

/// Deletes every object of `container` under `prefix`, listed first and then deleted one by one.
async fn delete_under(
    ctx: &Ctx<'_>,
    r: &StorageRef,
    container: &str,
    prefix: Option<&str>,
) -> Result<()> {
    let driver = ctx.open_storage(&r.config)?;
    let names: Vec<String> = driver
        .iterate_container_objects(container, prefix)
        .map_ok(|o| o.name)
        .try_collect()
        .await?;
    for name in names {
        match driver.delete_object(container, &name).await {
            Ok(()) => {}
            // Deleted by someone else in the meantime: the goal is reached.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// One end of a transfer.
enum End {
    /// Standard input or output (`-`).
    Std,
    /// A local file.
    File(PathBuf),
    /// An object (or, as a destination, a container or prefix to put it under).
    Object(StorageRef),
}

fn endpoint(ctx: &Ctx<'_>, text: &str) -> Result<End> {
    if text == "-" {
        Ok(End::Std)
    } else if looks_like_url(text) {
        Ok(End::Object(ctx.storage_ref(text)?))
    } else if text.is_empty() {
        Err(Error::invalid_input("an empty file name"))
    } else {
        Ok(End::File(PathBuf::from(text)))
    }
}

/// Reads `--range START-END` (inclusive, as HTTP) or `START-`.
fn parse_range(text: &str) -> Result<ByteRange> {
    let bad = || {
        Error::invalid_input(format!(
            "{text:?} is not a byte range; write START-END (inclusive) or START-"
        ))
    };
    let (start, end) = text.trim().split_once('-').ok_or_else(bad)?;
    let start: u64 = start.trim().parse().map_err(|_| bad())?;
    let end = match end.trim() {
        "" => None,
        end => {
            let last: u64 = end.parse().map_err(|_| bad())?;
            if last < start {
                return Err(Error::invalid_input(format!(
                    "byte range {text:?} ends before it starts"
                )));
            }
            Some(last.checked_add(1).ok_or_else(bad)?)
        }
    };
    ByteRange::new(start, end)
}

/// A source opened for reading.
struct Source {
    stream: ByteStream,
    /// Its size, when known.
    total: Option<u64>,
    /// The name a destination that names no file or key takes.
    name: Option<String>,
    /// The object read, when the source is one.
    object: Option<Object>,
}

async fn open_source(ctx: &Ctx<'_>, from: &End, range: Option<ByteRange>) -> Result<Source> {
    match from {
        End::Std => Ok(Source {
            stream: stdin_stream(),
            total: None,
            name: None,
            object: None,
        }),
        End::File(path) => {
            let file = tokio::fs::File::open(path)
                .await
                .map_err(|e| file_error(e, path, "open"))?;
            let meta = file
                .metadata()
                .await
                .map_err(|e| file_error(e, path, "open"))?;
            if meta.is_dir() {
                return Err(Error::invalid_input(format!(
                    "{} is a directory; give a file",
                    path.display()
                )));
            }
            Ok(Source {
                stream: file_stream(file),
                total: Some(meta.len()),
                name: path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .map(str::to_string),
                object: None,
            })
        }
        End::Object(r) => {
            let (container, key) = r.object()?;
            let driver = ctx.open_storage(&r.config)?;
            let download = driver
                .download_object_as_stream(container, key, range)
                .await?;
            let size = download.object.size;
            let expected = match range {
                None => Some(size),
                Some(range) => Some(range.clamp(size).map(|(s, e)| e - s)?),
            };
            let md5 = match (range, driver.capabilities().hash_is_md5) {
                (None, true) => download.object.hash.clone(),
                _ => None,
            };
            Ok(Source {
                stream: verified(download.stream, expected, md5),
                total: expected,
                name: key
                    .rsplit('/')
                    .next()
                    .filter(|n| !n.is_empty())
                    .map(str::to_string),
                object: Some(download.object),
            })
        }
    }
}

/// Copies `from` to `to` as a stream, with a progress bar.
async fn transfer(
    ctx: &Ctx<'_>,
    verb: &str,
    from: End,
    to: End,
    upload: &UploadArgs,
    range: Option<ByteRange>,
) -> Result<()> {
    if matches!((&from, &to), (End::File(a), End::File(b)) if a == b) {
        return Err(Error::invalid_input(
            "source and destination are the same file",
        ));
    }
    let source = open_source(ctx, &from, range).await?;
    let label = format!("{verb} {}", source.name.as_deref().unwrap_or("-"));
    // Standard output carries the data, so the bar only goes to a terminal on standard error.
    let bar = transfer_bar(source.total, &label, ctx.quiet());
    let stream = track(source.stream, bar.clone());
    let result = match &to {
        End::Std => write_stdout(stream).await,
        End::File(path) => {
            let target = file_target(path, source.name.as_deref()).await?;
            write_file(&target, stream).await
        }
        End::Object(r) => {
            let container = r.container()?;
            let key = destination_key(r, source.name.as_deref())?;
            let mut options = UploadOptions::default();
            options.content_type = upload
                .content_type
                .clone()
                .or_else(|| source.object.as_ref().and_then(|o| o.content_type.clone()));
            options.meta_data = if upload.meta.is_empty() {
                source
                    .object
                    .as_ref()
                    .map(|o| o.meta_data.clone())
                    .unwrap_or_default()
            } else {
                upload.meta.iter().cloned().collect()
            };
            options.acl = upload.acl.clone();
            options.storage_class = upload.storage_class.clone();
            let driver = ctx.open_storage(&r.config)?;
            driver
                .upload_object_via_stream(container, &key, stream, &options)
                .await
                .map(|_| ())
        }
    };
    match &result {
        Ok(()) => bar.finish(),
        Err(_) => bar.abandon(),
    }
    result
}

/// The object name a destination URL gives: its key, the source's name under a key ending in
/// `/`, or the source's name when it has no key.
fn destination_key(r: &StorageRef, source_name: Option<&str>) -> Result<String> {
    let need_name = || {
        source_name.ok_or_else(|| {
            Error::invalid_input(format!(
                "{:?} names no object, and the source has no name to give it; write SCHEME://CONTAINER/KEY",
                r.text
            ))
        })
    };
    match r.key.as_deref() {
        None => Ok(need_name()?.to_string()),
        Some(key) if key.ends_with('/') => Ok(format!("{key}{}", need_name()?)),
        Some(key) => Ok(key.to_string()),
    }
}

/// The file to write: `path`, or the source's name inside it when it is a directory.
async fn file_target(path: &Path, source_name: Option<&str>) -> Result<PathBuf> {
    let is_dir = tokio::fs::metadata(path)
        .await
        .map(|m| m.is_dir())
        .unwrap_or(false);
    if !is_dir {
        return Ok(path.to_path_buf());
    }
    match source_name {
        Some(name) if name != "." && name != ".." => Ok(path.join(name)),
        _ => Err(Error::invalid_input(format!(
            "{} is a directory and the source has no file name; name the file",
            path.display()
        ))),
    }
}

/// Reads standard input as a stream.
fn stdin_stream() -> ByteStream {
    futures::stream::try_unfold(tokio::io::stdin(), |mut input| async move {
        let mut buf = vec![0u8; CHUNK];
        let n = input.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), input)))
    })
    .boxed()
}

async fn write_stdout(mut stream: ByteStream) -> Result<()> {
    let mut out = tokio::io::stdout();
    let closed = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
    while let Some(chunk) = stream.try_next().await? {
        if let Err(e) = out.write_all(&chunk).await {
            if closed(&e) {
                // The reader has had enough (`| head`); stop quietly, as a pipeline expects.
                std::process::exit(0);
            }
            return Err(Error::from(e).with_message("cannot write to standard output"));
        }
    }
    match out.flush().await {
        Err(e) if !closed(&e) => {
            Err(Error::from(e).with_message("cannot write to standard output"))
        }
        _ => Ok(()),
    }
}

/// Writes the stream to a temporary file beside `target` and renames it into place only once
/// everything arrived (and checked out); on failure `target` is left as it was.
async fn write_file(target: &Path, mut stream: ByteStream) -> Result<()> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".into());
    let temp = dir.join(format!(".{base}.libcloud-{}.part", std::process::id()));
    let result = async {
        let mut file = tokio::fs::File::create(&temp)
            .await
            .map_err(|e| file_error(e, target, "create"))?;
        while let Some(chunk) = stream.try_next().await? {
            file.write_all(&chunk)
                .await
                .map_err(|e| file_error(e, target, "write"))?;
        }
        file.flush()
            .await
            .map_err(|e| file_error(e, target, "write"))?;
        file.sync_all()
            .await
            .map_err(|e| file_error(e, target, "write"))?;
        drop(file);
        tokio::fs::rename(&temp, target)
            .await
            .map_err(|e| file_error(e, target, "rename"))
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&temp).await;
    }
    result
}

/// A local file error as a typed error that names the file.
fn file_error(err: std::io::Error, path: &Path, what: &'static str) -> Error {
    let shown = path.display().to_string();
    let typed = match err.kind() {
        std::io::ErrorKind::NotFound => Error::not_found(ResourceKind::Other, shown),
        std::io::ErrorKind::PermissionDenied => Error::new(ErrorKind::PermissionDenied, shown),
        _ => Error::from(err).with_message(shown),
    };
    typed.with_operation(match what {
        "open" => "open file",
        "create" => "create file",
        "rename" => "rename file",
        _ => "write file",
    })
}

/// Passes `stream` through, and ends it with an error when it is shorter or longer than
/// `expected_len` or its MD5 differs from `expected_md5`, so that a destination never keeps a
/// truncated or corrupted copy.
fn verified(
    stream: ByteStream,
    expected_len: Option<u64>,
    expected_md5: Option<String>,
) -> ByteStream {
    struct State {
        inner: ByteStream,
        seen: u64,
        md5: Option<(Md5, String)>,
        expected_len: Option<u64>,
        done: bool,
    }
    let state = State {
        inner: stream,
        seen: 0,
        md5: expected_md5.map(|h| (Md5::new(), h)),
        expected_len,
        done: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        match st.inner.next().await {
            Some(Ok(chunk)) => {
                st.seen += chunk.len() as u64;
                if let Some((md5, _)) = &mut st.md5 {
                    md5.update(&chunk);
                }
                Some((Ok(chunk), st))
            }
            Some(Err(e)) => {
                st.done = true;
                Some((Err(e), st))
            }
            None => {
                st.done = true;
                if let Some(expected) = st.expected_len
                    && st.seen != expected
                {
                    let err = Error::new(
                        ErrorKind::Transport,
                        format!("the source sent {} of {expected} bytes", st.seen),
                    )
                    .with_operation("copy");
                    return Some((Err(err), st));
                }
                if let Some((md5, expected)) = st.md5.take() {
                    let actual = md5.hex();
                    if !expected.eq_ignore_ascii_case(&actual) {
                        let err = Error::bare(ErrorKind::HashMismatch { expected, actual })
                            .with_operation("copy");
                        return Some((Err(err), st));
                    }
                }
                None
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud::body::once_stream;

    #[test]
    fn ranges_are_inclusive_like_http() {
        assert_eq!(
            parse_range("0-99").unwrap(),
            ByteRange::new(0, Some(100)).unwrap()
        );
        assert_eq!(parse_range("5-").unwrap(), ByteRange::from(5));
        assert_eq!(
            parse_range("7-7").unwrap(),
            ByteRange::new(7, Some(8)).unwrap()
        );
        for bad in ["", "-5", "a-b", "9-3", "5", "1-x"] {
            let err = parse_range(bad).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[tokio::test]
    async fn verified_streams_refuse_short_or_corrupt_data() {
        let ok = verified(
            once_stream("hello"),
            Some(5),
            Some(libcloud::hash::md5_hex(b"hello")),
        );
        let chunks: Vec<Bytes> = ok.try_collect().await.unwrap();
        assert_eq!(chunks.concat(), b"hello");

        let short = verified(once_stream("hell"), Some(5), None);
        let err = short.try_collect::<Vec<_>>().await.unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::Transport);

        let corrupt = verified(
            once_stream("jello"),
            Some(5),
            Some(libcloud::hash::md5_hex(b"hello")),
        );
        let err = corrupt.try_collect::<Vec<_>>().await.unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::HashMismatch { .. }));
    }

    #[test]
    fn destination_keys_take_the_source_name_under_a_prefix() {
        let r = |key: Option<&str>| StorageRef {
            config: libcloud::registry::Config::new("memory"),
            container: Some("box".into()),
            key: key.map(str::to_string),
            text: "memory://box".into(),
        };
        assert_eq!(destination_key(&r(None), Some("a.txt")).unwrap(), "a.txt");
        assert_eq!(
            destination_key(&r(Some("d/")), Some("a.txt")).unwrap(),
            "d/a.txt"
        );
        assert_eq!(
            destination_key(&r(Some("b.txt")), Some("a.txt")).unwrap(),
            "b.txt"
        );
        assert!(destination_key(&r(None), None).is_err());
        assert!(destination_key(&r(Some("d/")), None).is_err());
    }
}
