//! Blocking filesystem steps, each run on tokio's blocking pool by the driver.
//!
//! Every walk from the root down uses `symlink_metadata`, so a symbolic link is seen as a link
//! and never followed: where a container, folder or object is expected, a link is refused with
//! `InvalidInput`; in listings it is skipped.

use std::fs::{self, File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use libcloud_core::hash::Md5;
use libcloud_core::{Error, ErrorKind, ResourceKind, Result};

use crate::names::object_segments;

/// Bytes read from a file at a time, for hashing and for download streams.
pub const CHUNK: usize = 64 * 1024;

/// The error for a symbolic link found where a container, folder or object was expected.
fn link_refused(what: &str, name: &str) -> Error {
    Error::invalid_input(format!(
        "{what} {name:?} is a symbolic link; this driver does not follow links"
    ))
}

fn is_missing(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// The folder of `container`, which must be a real folder directly under `root`.
pub fn container_dir(root: &Path, container: &str) -> Result<PathBuf> {
    let dir = root.join(container);
    match fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() => Ok(dir),
        Ok(m) if m.file_type().is_symlink() => Err(link_refused("container", container)),
        Ok(_) => Err(Error::not_found(ResourceKind::Container, container)
            .with_message("a file, not a folder, has that name")),
        Err(e) if is_missing(&e) => Err(Error::not_found(ResourceKind::Container, container)),
        Err(e) => Err(e.into()),
    }
}

/// Finds the data file of an existing object. Anything but a regular file reached through real
/// folders is `NotFound` (a folder, or a path under another object) or `InvalidInput` (a link,
/// a device or pipe).
pub fn find_object(
    root: &Path,
    container: &str,
    name: &str,
    segments: &[&str],
) -> Result<(PathBuf, Metadata)> {
    let mut path = container_dir(root, container)?;
    let missing = || Error::not_found(ResourceKind::Object, name);
    for (i, segment) in segments.iter().enumerate() {
        path.push(segment);
        let last = i + 1 == segments.len();
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if is_missing(&e) => return Err(missing()),
            Err(e) => return Err(e.into()),
        };
        if meta.file_type().is_symlink() {
            let what = if last { "object" } else { "folder" };
            return Err(link_refused(what, &segments[..=i].join("/")));
        }
        if last {
            if meta.is_file() {
                return Ok((path, meta));
            }
            if meta.is_dir() {
                return Err(missing().with_message("a folder, not an object, has that name"));
            }
            return Err(Error::invalid_input(format!(
                "object {name:?} is not a regular file"
            )));
        }
        if !meta.is_dir() {
            return Err(missing());
        }
    }
    Err(missing())
}

/// Opens an existing object's data file for reading, making sure the file opened is the one
/// that was checked (and not a link swapped in between).
pub fn open_object(
    root: &Path,
    container: &str,
    name: &str,
    segments: &[&str],
) -> Result<(File, Metadata)> {
    for _ in 0..3 {
        let (path, checked) = find_object(root, container, name, segments)?;
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if is_missing(&e) => continue,
            Err(e) => return Err(e.into()),
        };
        let opened = file.metadata()?;
        if opened.is_file() && same_file(&checked, &opened) {
            return Ok((file, opened));
        }
    }
    Err(Error::new(
        ErrorKind::Transport,
        format!("object {name:?} kept changing while it was being opened"),
    ))
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

/// Makes sure object `name` can be stored and returns its data file's path: the container
/// exists, every folder on the way is a real folder or missing, and the name is not a folder.
///
/// With `create`, the missing folders are made, and the ones made are pushed to `created`.
/// Without it nothing on disk changes.
pub fn prepare_target(
    root: &Path,
    container: &str,
    name: &str,
    segments: &[&str],
    create: bool,
    created: &mut Vec<PathBuf>,
) -> Result<PathBuf> {
    let mut path = container_dir(root, container)?;
    let Some((file_name, folders)) = segments.split_last() else {
        return Err(Error::invalid_input("the object name is empty"));
    };
    let mut exists = true;
    for (i, segment) in folders.iter().enumerate() {
        path.push(segment);
        if !exists {
            continue;
        }
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(link_refused("folder", &segments[..=i].join("/")));
            }
            Ok(_) => {
                return Err(Error::invalid_input(format!(
                    "object {:?} exists, so {name:?} cannot be stored under it",
                    segments[..=i].join("/")
                )));
            }
            Err(e) if is_missing(&e) => {
                if create {
                    make_dir(&path)?;
                    created.push(path.clone());
                } else {
                    exists = false;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    path.push(file_name);
    if exists {
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => {}
            Ok(m) if m.is_dir() => {
                return Err(Error::invalid_input(format!(
                    "{name:?} is a folder holding other objects, so no object can have that name"
                )));
            }
            Ok(m) if m.file_type().is_symlink() => return Err(link_refused("object", name)),
            Ok(_) => {
                return Err(Error::invalid_input(format!(
                    "{name:?} is taken by something that is not a regular file"
                )));
            }
            Err(e) if is_missing(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(path)
}

/// Creates one folder; one that appeared meanwhile is fine if it is a real folder.
fn make_dir(path: &Path) -> Result<()> {
    match fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => Ok(()),
            _ => Err(Error::invalid_input(format!(
                "{} appeared meanwhile and is not a folder",
                path.display()
            ))),
        },
        Err(e) => Err(e.into()),
    }
}

/// Removes the empty folders from `dir` up to, not including, `stop`. Stops at the first folder
/// that is not empty (or cannot be removed).
pub fn prune_empty_dirs(mut dir: &Path, stop: &Path) {
    while dir != stop && dir.starts_with(stop) {
        if fs::remove_dir(dir).is_err() {
            break;
        }
        match dir.parent() {
            Some(parent) => dir = parent,
            None => break,
        }
    }
}

/// The names of the objects in the container folder `dir` that start with `prefix`, sorted
/// byte-wise. Only regular files whose path is a valid object name count; links, other special
/// files and empty folders are skipped. Folders that cannot hold a match are not read.
pub fn list_names(dir: &Path, prefix: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((folder, rel)) = pending.pop() {
        let entries = match fs::read_dir(&folder) {
            Ok(entries) => entries,
            // Removed (or replaced) since it was seen: it holds nothing now.
            Err(e) if is_missing(&e) && folder != dir => continue,
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            let Ok(file_name) = entry.file_name().into_string() else {
                tracing::debug!(path = %entry.path().display(), "skipping a name that is not UTF-8");
                continue;
            };
            let full = format!("{rel}{file_name}");
            let kind = match entry.file_type() {
                Ok(kind) => kind,
                Err(e) if is_missing(&e) => continue,
                Err(e) => return Err(e.into()),
            };
            if kind.is_dir() {
                let sub = format!("{full}/");
                if !file_name.contains('\\')
                    && (sub.starts_with(prefix) || prefix.starts_with(&sub))
                {
                    pending.push((entry.path(), sub));
                }
            } else if kind.is_file() {
                if full.starts_with(prefix) {
                    if object_segments(&full).is_ok() {
                        names.push(full);
                    } else {
                        tracing::debug!(name = %full, "skipping a file whose path is not a valid object name");
                    }
                }
            } else {
                tracing::debug!(path = %entry.path().display(), "skipping a link or special file");
            }
        }
    }
    names.sort_unstable();
    Ok(names)
}

/// The folders under the container folder `dir`, deepest first, if it holds nothing else;
/// otherwise `NotEmpty` for the container.
pub fn empty_tree(dir: &Path, container: &str) -> Result<Vec<PathBuf>> {
    let mut folders = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                pending.push(entry.path());
                folders.push(entry.path());
            } else {
                return Err(Error::not_empty(ResourceKind::Container, container));
            }
        }
    }
    // Parents were pushed before their children, so reversing puts every folder before its parent.
    folders.reverse();
    Ok(folders)
}

/// Removes an empty folder, reporting a folder that is not empty (filled meanwhile) as
/// `NotEmpty` for the container.
pub fn remove_empty_dir(dir: &Path, container: &str) -> Result<()> {
    match fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => {
            Err(Error::not_empty(ResourceKind::Container, container))
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes a container's sidecar folder, if any. Best effort: sidecars that are left describe
/// no object and are ignored.
pub fn remove_sidecars(dir: &Path) {
    if let Err(e) = fs::remove_dir_all(dir)
        && !is_missing(&e)
    {
        tracing::warn!(dir = %dir.display(), error = %e, "could not remove sidecars");
    }
}

/// The lower-case hex MD5 of a whole file, read from its start.
pub fn md5_of(file: &mut File) -> io::Result<String> {
    file.seek(SeekFrom::Start(0))?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.hex())
}

/// Flushes a folder's entries to disk, so that a rename into it survives a crash. Best effort:
/// not every platform can open a folder for this.
pub fn sync_dir(dir: &Path) {
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::trace!(dir = %dir.display(), error = %e, "could not sync folder");
    }
}

/// Writes `bytes` to `path` through a temporary file `temp` and a rename, so that readers see
/// the old content or the new, never a mix.
pub fn write_atomically(temp: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(temp)?;
        io::Write::write_all(&mut file, bytes)?;
        file.sync_all()?;
        fs::rename(temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(temp);
    }
    result
}
