//! Which container and object names may be stored, checked before any file is touched.

use std::path::{Component, Path};

use libcloud_core::{Error, Result};

/// The longest object name accepted, in bytes (the limit S3 has too).
pub const MAX_OBJECT_NAME_BYTES: usize = 1024;

/// The longest container name or object name segment accepted, in bytes (the usual limit of a
/// file name).
pub const MAX_SEGMENT_BYTES: usize = 255;

/// Checks a container name: it becomes one folder directly under the root.
///
/// Refused with [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput): empty names,
/// names longer than [`MAX_SEGMENT_BYTES`], names starting with `.` (which keeps `.`, `..` and
/// the driver's own `.libcloud` folder out of reach), and names holding `/`, `\` or NUL.
pub fn check_container_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid_input("the container name is empty"));
    }
    if name.starts_with('.') {
        return Err(Error::invalid_input(format!(
            "container name {name:?} starts with '.', which is reserved"
        )));
    }
    if name.contains('/') {
        return Err(Error::invalid_input(format!(
            "container name {name:?} contains '/'"
        )));
    }
    check_segment(name, name, "container name")
}

/// Checks an object name and splits it into its `/`-separated segments, each of which becomes
/// a folder (or, for the last, the file) under the container's folder.
///
/// Refused with [`ErrorKind::InvalidInput`](libcloud_core::ErrorKind::InvalidInput): empty names,
/// names longer than [`MAX_OBJECT_NAME_BYTES`], names starting with `/`, and names with a segment
/// that is empty (`a//b`, `a/`), `.` or `..`, longer than [`MAX_SEGMENT_BYTES`], or that holds a
/// `\` or NUL.
pub fn object_segments(name: &str) -> Result<Vec<&str>> {
    if name.is_empty() {
        return Err(Error::invalid_input("the object name is empty"));
    }
    if name.len() > MAX_OBJECT_NAME_BYTES {
        return Err(Error::invalid_input(format!(
            "object name is {} bytes long; at most {MAX_OBJECT_NAME_BYTES} are allowed",
            name.len()
        )));
    }
    if name.starts_with('/') {
        return Err(Error::invalid_input(format!(
            "object name {name:?} starts with '/'"
        )));
    }
    let segments: Vec<&str> = name.split('/').collect();
    for segment in &segments {
        if segment.is_empty() {
            return Err(Error::invalid_input(format!(
                "object name {name:?} has an empty segment"
            )));
        }
        if *segment == "." || *segment == ".." {
            return Err(Error::invalid_input(format!(
                "object name {name:?} has a {segment:?} segment"
            )));
        }
        check_segment(segment, name, "object name")?;
    }
    Ok(segments)
}

/// What every path segment must satisfy: short enough, no `\` or NUL, and read by the platform
/// as exactly one plain file name (so no drive prefix or root can sneak in).
fn check_segment(segment: &str, whole: &str, what: &str) -> Result<()> {
    if segment.len() > MAX_SEGMENT_BYTES {
        return Err(Error::invalid_input(format!(
            "{what} has a segment of {} bytes; at most {MAX_SEGMENT_BYTES} are allowed",
            segment.len()
        )));
    }
    if segment.contains('\0') {
        return Err(Error::invalid_input(format!(
            "{what} {whole:?} contains NUL"
        )));
    }
    if segment.contains('\\') {
        return Err(Error::invalid_input(format!(
            "{what} {whole:?} contains '\\'"
        )));
    }
    let mut components = Path::new(segment).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(c)), None) if c == segment => Ok(()),
        _ => Err(Error::invalid_input(format!(
            "{what} {whole:?} is not a plain file name on this platform"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    fn refused(r: Result<impl std::fmt::Debug>) {
        assert_eq!(*r.unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn good_object_names_split_on_slash() {
        assert_eq!(object_segments("a").unwrap(), ["a"]);
        assert_eq!(object_segments("a/b c/.d").unwrap(), ["a", "b c", ".d"]);
        assert_eq!(object_segments("...").unwrap(), ["..."]);
        assert_eq!(object_segments("ä/ö").unwrap(), ["ä", "ö"]);
    }

    #[test]
    fn bad_object_names_are_refused() {
        for name in [
            "",
            "/",
            "/a",
            "a/",
            "a//b",
            ".",
            "..",
            "../a",
            "a/..",
            "a/./b",
            "a/../../x",
            "a\0b",
            "a\\b",
            "..\\x",
        ] {
            refused(object_segments(name));
        }
        refused(object_segments(&"x".repeat(MAX_SEGMENT_BYTES + 1)));
        let long = vec!["y".repeat(100); 11].join("/");
        refused(object_segments(&long));
        assert!(object_segments(&"x".repeat(MAX_SEGMENT_BYTES)).is_ok());
    }

    #[test]
    fn container_names() {
        assert!(check_container_name("photos-2024_a.b").is_ok());
        for name in ["", ".", "..", ".libcloud", ".x", "a/b", "/a", "a\\b", "a\0"] {
            refused(check_container_name(name));
        }
        refused(check_container_name(&"c".repeat(MAX_SEGMENT_BYTES + 1)));
    }
}
