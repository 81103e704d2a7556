//! S3's XML: a small element tree read with `quick-xml`, the answers the driver reads from it,
//! and the request bodies it writes.
//!
//! Elements are found by local name, so a namespace (or its absence) does not matter, and by
//! name rather than position, so servers that order elements differently are read alike.

use std::time::SystemTime;

use libcloud_core::common::parse_rfc3339;
use libcloud_core::{Error, Result};
use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;

/// The deepest nesting accepted; S3's documents are four levels deep.
const MAX_DEPTH: usize = 32;

/// One XML element: its local name, its text, and its child elements in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// The first child called `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child called `name`.
    pub(crate) fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child called `name`, `None` when absent or empty.
    pub(crate) fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// The text of the first child called `name`, untrimmed (object keys may end in spaces).
    pub(crate) fn raw_text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

fn bad_xml(what: impl std::fmt::Display) -> Error {
    Error::malformed(format!("the response is not valid XML: {what}"))
}

/// Parses a whole document into its root element.
///
/// A body that is not well-formed XML, has no root element, or nests deeper than 32 levels is
/// [`ErrorKind::MalformedResponse`](libcloud_core::ErrorKind::MalformedResponse).
pub(crate) fn parse(body: &[u8]) -> Result<Element> {
    let text = std::str::from_utf8(body).map_err(|_| bad_xml("it is not UTF-8"))?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        match reader.read_event().map_err(bad_xml)? {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(bad_xml("it nests too deeply"));
                }
                stack.push(Element {
                    name: start.local_name().as_ref().to_string(),
                    ..Element::default()
                });
            }
            Event::Empty(empty) => {
                let element = Element {
                    name: empty.local_name().as_ref().to_string(),
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(bad_xml("an end tag has no start"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Text(t) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(current) = stack.last_mut() {
                    if let Some(c) = r.resolve_char_ref().map_err(bad_xml)? {
                        current.text.push(c);
                    } else {
                        let name = r.xml10_content();
                        let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| bad_xml(format!("unknown entity &{name};")))?;
                        current.text.push_str(resolved);
                    }
                }
            }
            Event::Eof => return Err(bad_xml("the document ended before its root element")),
            _ => {}
        }
    }
}

/// Decodes the text S3 sends under `encoding-type=url`: `%XX` escapes, and `+` as a space when
/// `plus_is_space`.
pub(crate) fn url_decode(text: &str, plus_is_space: bool) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        Error::malformed(format!("bad percent escape in the key {text:?}"))
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::malformed(format!("the key {text:?} is not UTF-8 once decoded")))
}

/// A bucket from `ListAllMyBucketsResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireBucket {
    pub(crate) name: String,
    pub(crate) creation_date: Option<String>,
    pub(crate) region: Option<String>,
}

/// A `ListAllMyBucketsResult`: the buckets and, when the server pages, the next token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BucketList {
    pub(crate) buckets: Vec<WireBucket>,
    pub(crate) continuation_token: Option<String>,
}

pub(crate) fn parse_bucket_list(body: &[u8]) -> Result<BucketList> {
    let root = parse(body)?;
    expect_root(&root, "ListAllMyBucketsResult")?;
    let mut buckets = Vec::new();
    if let Some(list) = root.child("Buckets") {
        for b in list.children("Bucket") {
            let name = b
                .text_of("Name")
                .ok_or_else(|| Error::malformed("a bucket in the listing has no name"))?;
            buckets.push(WireBucket {
                name: name.to_string(),
                creation_date: b.text_of("CreationDate").map(str::to_string),
                region: b.text_of("BucketRegion").map(str::to_string),
            });
        }
    }
    Ok(BucketList {
        buckets,
        continuation_token: root.text_of("ContinuationToken").map(str::to_string),
    })
}

/// An object from a `ListBucketResult` (`Contents`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WireObject {
    pub(crate) key: String,
    pub(crate) size: u64,
    pub(crate) etag: Option<String>,
    pub(crate) last_modified: Option<SystemTime>,
    pub(crate) last_modified_text: Option<String>,
    pub(crate) storage_class: Option<String>,
    pub(crate) owner_id: Option<String>,
}

/// One page of `ListObjectsV2` (or, from older servers and recordings, `ListObjects`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjectPage {
    pub(crate) objects: Vec<WireObject>,
    pub(crate) common_prefixes: Vec<String>,
    pub(crate) truncated: bool,
    /// `NextContinuationToken` (V2).
    pub(crate) next_token: Option<String>,
    /// `NextMarker` (V1, only given with a delimiter).
    pub(crate) next_marker: Option<String>,
}

impl ObjectPage {
    /// Where the next page starts, if the listing is truncated: the continuation token, else
    /// the next marker, else the last key or prefix of this page (as S3's V1 rules say).
    pub(crate) fn next_start(&self) -> Option<PageStart> {
        if !self.truncated {
            return None;
        }
        if let Some(t) = &self.next_token {
            return Some(PageStart::Token(t.clone()));
        }
        let last_key = self.objects.last().map(|o| o.key.as_str());
        let last_prefix = self.common_prefixes.last().map(String::as_str);
        let after = self
            .next_marker
            .as_deref()
            .or(match (last_key, last_prefix) {
                (Some(k), Some(p)) => Some(k.max(p)),
                (k, p) => k.or(p),
            })?;
        Some(PageStart::After(after.to_string()))
    }
}

/// Where a listing page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PageStart {
    /// A V2 continuation token.
    Token(String),
    /// After this key (`start-after`), when the server gave no token.
    After(String),
}

pub(crate) fn parse_object_page(body: &[u8]) -> Result<ObjectPage> {
    let root = parse(body)?;
    expect_root(&root, "ListBucketResult")?;
    let url_encoded = root
        .text_of("EncodingType")
        .is_some_and(|e| e.eq_ignore_ascii_case("url"));
    let decode = |text: &str| -> Result<String> {
        if url_encoded {
            url_decode(text, true)
        } else {
            Ok(text.to_string())
        }
    };
    let mut objects = Vec::new();
    for c in root.children("Contents") {
        let key = c
            .raw_text_of("Key")
            .filter(|k| !k.is_empty())
            .ok_or_else(|| Error::malformed("an object in the listing has no key"))?;
        let size = match c.text_of("Size") {
            Some(s) => s
                .parse::<u64>()
                .map_err(|_| Error::malformed(format!("object size {s:?} is not a number")))?,
            None => 0,
        };
        let last_modified_text = c.text_of("LastModified").map(str::to_string);
        objects.push(WireObject {
            key: decode(key)?,
            size,
            etag: c.text_of("ETag").map(str::to_string),
            last_modified: last_modified_text.as_deref().and_then(parse_rfc3339),
            last_modified_text,
            storage_class: c.text_of("StorageClass").map(str::to_string),
            owner_id: c
                .child("Owner")
                .and_then(|o| o.text_of("ID"))
                .map(str::to_string),
        });
    }
    let mut common_prefixes = Vec::new();
    for p in root.children("CommonPrefixes") {
        if let Some(prefix) = p.raw_text_of("Prefix").filter(|p| !p.is_empty()) {
            common_prefixes.push(decode(prefix)?);
        }
    }
    let truncated = root
        .text_of("IsTruncated")
        .is_some_and(|t| t.eq_ignore_ascii_case("true"));
    let next_marker = match root.raw_text_of("NextMarker").filter(|m| !m.is_empty()) {
        Some(m) => Some(decode(m)?),
        None => None,
    };
    Ok(ObjectPage {
        objects,
        common_prefixes,
        truncated,
        next_token: root.text_of("NextContinuationToken").map(str::to_string),
        next_marker,
    })
}

/// The `UploadId` of an `InitiateMultipartUploadResult`.
pub(crate) fn parse_initiate(body: &[u8]) -> Result<String> {
    let root = parse(body)?;
    expect_root(&root, "InitiateMultipartUploadResult")?;
    root.text_of("UploadId")
        .map(str::to_string)
        .ok_or_else(|| Error::malformed("the multipart upload was started without an UploadId"))
}

/// What a `CompleteMultipartUploadResult` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Completed {
    pub(crate) etag: Option<String>,
    pub(crate) checksum_crc32c: Option<String>,
}

/// Reads the answer to `CompleteMultipartUpload`: `Ok(None)` when the document is an `<Error>`
/// (S3 may answer 200 and report the failure in the body), so that the caller maps it.
pub(crate) fn parse_complete(body: &[u8]) -> Result<Option<Completed>> {
    let root = parse(body)?;
    if root.name == "Error" {
        return Ok(None);
    }
    expect_root(&root, "CompleteMultipartUploadResult")?;
    Ok(Some(Completed {
        etag: root.text_of("ETag").map(str::to_string),
        checksum_crc32c: root.text_of("ChecksumCRC32C").map(str::to_string),
    }))
}

/// One upload of a `ListMultipartUploadsResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireUpload {
    pub(crate) key: String,
    pub(crate) upload_id: String,
    pub(crate) initiated: Option<String>,
    pub(crate) storage_class: Option<String>,
    pub(crate) initiator: Option<String>,
    pub(crate) owner: Option<String>,
}

/// A page of `ListMultipartUploadsResult`, with the markers of the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UploadPage {
    pub(crate) uploads: Vec<WireUpload>,
    pub(crate) next: Option<(String, String)>,
}

pub(crate) fn parse_upload_page(body: &[u8]) -> Result<UploadPage> {
    let root = parse(body)?;
    expect_root(&root, "ListMultipartUploadsResult")?;
    let url_encoded = root
        .text_of("EncodingType")
        .is_some_and(|e| e.eq_ignore_ascii_case("url"));
    let mut uploads = Vec::new();
    for u in root.children("Upload") {
        let key = u
            .raw_text_of("Key")
            .filter(|k| !k.is_empty())
            .ok_or_else(|| Error::malformed("a multipart upload in the listing has no key"))?;
        let key = if url_encoded {
            url_decode(key, true)?
        } else {
            key.to_string()
        };
        let upload_id = u
            .text_of("UploadId")
            .ok_or_else(|| Error::malformed("a multipart upload in the listing has no id"))?;
        let person = |name: &str| {
            u.child(name).and_then(|p| {
                p.text_of("DisplayName")
                    .or_else(|| p.text_of("ID"))
                    .map(str::to_string)
            })
        };
        uploads.push(WireUpload {
            key,
            upload_id: upload_id.to_string(),
            initiated: u.text_of("Initiated").map(str::to_string),
            storage_class: u.text_of("StorageClass").map(str::to_string),
            initiator: person("Initiator"),
            owner: person("Owner"),
        });
    }
    let truncated = root
        .text_of("IsTruncated")
        .is_some_and(|t| t.eq_ignore_ascii_case("true"));
    let next = if truncated {
        let key = root.raw_text_of("NextKeyMarker").unwrap_or_default();
        let key = if url_encoded {
            url_decode(key, true)?
        } else {
            key.to_string()
        };
        let id = root.text_of("NextUploadIdMarker").unwrap_or_default();
        if key.is_empty() && id.is_empty() {
            return Err(Error::malformed(
                "the multipart upload listing is truncated but names no next marker",
            ));
        }
        Some((key, id.to_string()))
    } else {
        None
    };
    Ok(UploadPage { uploads, next })
}

fn expect_root(root: &Element, name: &str) -> Result<()> {
    if root.name == name {
        Ok(())
    } else {
        Err(Error::malformed(format!(
            "expected a {name} document, got <{}>",
            root.name
        )))
    }
}

/// The body of `CreateBucket` outside us-east-1.
pub(crate) fn create_bucket_body(region: &str) -> String {
    format!(
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
        escape(region)
    )
}

/// One part as `CompleteMultipartUpload` lists it.
pub(crate) struct CompletePart<'a> {
    pub(crate) number: u32,
    pub(crate) etag: &'a str,
    pub(crate) checksum_crc32c: Option<&'a str>,
}

/// The body of `CompleteMultipartUpload`.
pub(crate) fn complete_body<'a>(parts: impl IntoIterator<Item = CompletePart<'a>>) -> String {
    let mut out =
        String::from("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for p in parts {
        out.push_str("<Part><PartNumber>");
        out.push_str(&p.number.to_string());
        out.push_str("</PartNumber><ETag>");
        out.push_str(&escape(p.etag));
        out.push_str("</ETag>");
        if let Some(c) = p.checksum_crc32c {
            out.push_str("<ChecksumCRC32C>");
            out.push_str(&escape(c));
            out.push_str("</ChecksumCRC32C>");
        }
        out.push_str("</Part>");
    }
    out.push_str("</CompleteMultipartUpload>");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    #[test]
    fn trees_ignore_namespaces_and_keep_order() {
        let root = parse(
            b"<?xml version=\"1.0\"?><a:R xmlns:a=\"x\"><a:K> k </a:K><E/><K>2&amp;&#x41;</K></a:R>",
        )
        .unwrap();
        assert_eq!(root.name, "R");
        assert_eq!(root.raw_text_of("K"), Some(" k "));
        assert_eq!(root.children("K").nth(1).unwrap().text, "2&A");
        assert!(root.child("E").is_some());
    }

    #[test]
    fn bad_documents_are_malformed_not_panics() {
        for body in [
            &b""[..],
            b"<a>",
            b"</a>",
            b"<a></b>",
            b"\xff\xfe",
            b"<a>&nope;</a>",
            b"just text",
        ] {
            let err = parse(body).unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::MalformedResponse, "{body:?}");
        }
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn url_decoding() {
        assert_eq!(url_decode("a%20b+c%2B", true).unwrap(), "a b c+");
        assert_eq!(url_decode("a+b", false).unwrap(), "a+b");
        assert!(url_decode("%zz", true).is_err());
        assert!(url_decode("%ff", true).is_err());
    }

    #[test]
    fn v2_pages_and_next_start() {
        let body =
            b"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>\
            <Contents><Key>a%20b</Key><Size>3</Size><ETag>&quot;x&quot;</ETag></Contents>\
            <CommonPrefixes><Prefix>d%2F</Prefix></CommonPrefixes>\
            <NextContinuationToken>tok</NextContinuationToken></ListBucketResult>";
        let page = parse_object_page(body).unwrap();
        assert_eq!(page.objects[0].key, "a b");
        assert_eq!(page.objects[0].etag.as_deref(), Some("\"x\""));
        assert_eq!(page.common_prefixes, ["d/"]);
        assert_eq!(page.next_start(), Some(PageStart::Token("tok".into())));

        let v1 = b"<ListBucketResult><IsTruncated>true</IsTruncated>\
            <Contents><Key>k1</Key><Size>1</Size></Contents>\
            <CommonPrefixes><Prefix>z/</Prefix></CommonPrefixes></ListBucketResult>";
        let page = parse_object_page(v1).unwrap();
        assert_eq!(page.next_start(), Some(PageStart::After("z/".into())));
        let bad = b"<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>";
        assert!(parse_object_page(bad).is_err());
        assert!(parse_object_page(b"<Other/>").is_err());
    }

    #[test]
    fn complete_may_be_an_error() {
        assert_eq!(
            parse_complete(b"<Error><Code>InternalError</Code></Error>").unwrap(),
            None
        );
        let done = parse_complete(
            b"<CompleteMultipartUploadResult><ETag>\"e-2\"</ETag></CompleteMultipartUploadResult>",
        )
        .unwrap()
        .unwrap();
        assert_eq!(done.etag.as_deref(), Some("\"e-2\""));
    }

    #[test]
    fn bodies_escape_their_values() {
        assert!(create_bucket_body("eu-west-1").contains(">eu-west-1</LocationConstraint>"));
        let body = complete_body([CompletePart {
            number: 1,
            etag: "\"a&b\"",
            checksum_crc32c: Some("AAAA"),
        }]);
        assert!(body.contains("<PartNumber>1</PartNumber><ETag>&quot;a&amp;b&quot;</ETag>"));
        assert!(body.contains("<ChecksumCRC32C>AAAA</ChecksumCRC32C>"));
    }
}
