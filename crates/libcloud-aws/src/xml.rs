//! A small XML element tree for AWS's XML APIs: answers are read into it, requests are written
//! from it.
//!
//! Elements are matched by local name, so a namespace prefix (or its absence) does not matter.
//! The tree keeps every element and its text as they came, so a driver can send back what it
//! read (Route 53 repeats a record set exactly when it deletes it) and read the query APIs'
//! `<member>` lists (ELB) with [`Element::members`].
//!
//! Attributes, comments and processing instructions are passed over; text is kept untrimmed and
//! the readers ([`Element::text_of`], [`Element::required`]) trim it.
//!
//! ```
//! use libcloud_aws::xml::{self, Element};
//!
//! let doc = br#"<DescribeResponse xmlns="urn:x"><Names><member>a</member><member>b</member></Names>
//!   <Id> 7 </Id></DescribeResponse>"#;
//! let root = xml::parse(doc, "DescribeResponse").unwrap();
//! assert_eq!(root.member_texts("Names"), ["a", "b"]);
//! assert_eq!(root.text_of("Id"), Some("7"));
//!
//! let mut out = String::new();
//! Element::new("Change").with(Element::text("Action", "DELETE")).write(&mut out);
//! assert_eq!(out, "<Change><Action>DELETE</Action></Change>");
//! ```

use libcloud_core::{Error, Result};
use quick_xml::Reader;
use quick_xml::escape::{partial_escape, resolve_predefined_entity};
use quick_xml::events::Event;

/// How deep elements may nest before [`parse`] refuses a document.
pub const MAX_DEPTH: usize = 64;

/// One XML element: its local name, its own text and its child elements, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// The local name, without any namespace prefix (`ResourceRecordSet`).
    pub name: String,
    /// The text directly inside the element, entities resolved, untrimmed.
    pub text: String,
    /// The child elements.
    pub children: Vec<Element>,
}

impl Element {
    /// An element called `name`, with no text and no children.
    pub fn new(name: &str) -> Self {
        Element {
            name: name.to_string(),
            ..Element::default()
        }
    }

    /// An element called `name` holding only `text`.
    pub fn text(name: &str, text: impl Into<String>) -> Self {
        Element {
            name: name.to_string(),
            text: text.into(),
            children: Vec::new(),
        }
    }

    /// Adds `child` after the existing children and returns the element, for building.
    pub fn with(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child called `name`, in document order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a path of child names, taking the first child of each name.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |e, name| e.child(name))
    }

    /// The trimmed text of the child called `name`; `None` when it is missing or blank.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// The trimmed text of the child `name`, or a
    /// [`MalformedResponse`](libcloud_core::ErrorKind::MalformedResponse) error naming `what`
    /// when it is missing or blank.
    pub fn required(&self, name: &str, what: &str) -> Result<&str> {
        self.text_of(name)
            .ok_or_else(|| Error::malformed(format!("{what} has no <{name}> in <{}>", self.name)))
    }

    /// The `<member>` elements of the child `name` (a query-API list); none when it is absent.
    pub fn members<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.child(name)
            .into_iter()
            .flat_map(|list| list.all("member"))
    }

    /// The trimmed texts of the `<member>` elements of the child `name`, blanks left out.
    pub fn member_texts(&self, name: &str) -> Vec<String> {
        self.members(name)
            .map(|m| m.text.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    }

    /// Replaces the child called `child.name` (keeping its place) or, when there is none,
    /// inserts `child` before the first child named in `before`, else at the end.
    pub fn set_child(&mut self, child: Element, before: &[&str]) {
        if let Some(slot) = self.children.iter_mut().find(|c| c.name == child.name) {
            *slot = child;
            return;
        }
        let at = self
            .children
            .iter()
            .position(|c| before.contains(&c.name.as_str()))
            .unwrap_or(self.children.len());
        self.children.insert(at, child);
    }

    /// Appends the element to `out` as XML, without namespace or attributes, its text escaped
    /// (`&`, `<` and `>`; quotes need no escaping outside attributes).
    pub fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        out.push('>');
        out.push_str(&partial_escape(self.text.as_str()));
        for child in &self.children {
            child.write(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

/// Reads a whole document into its root element.
///
/// Anything that is not UTF-8, well-formed XML with one root, or nests deeper than
/// [`MAX_DEPTH`] levels, is [`MalformedResponse`](libcloud_core::ErrorKind::MalformedResponse)
/// naming `what`. Never panics, whatever the bytes.
pub fn parse(body: &[u8], what: &str) -> Result<Element> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::malformed(format!("the {what} is not UTF-8")))?;
    let bad = |why: String| Error::malformed(format!("cannot read the {what}: {why}"));
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|e| bad(e.to_string()))?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(bad("content after the root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(bad(format!("elements nest deeper than {MAX_DEPTH} levels")));
                }
                let name = start.local_name().as_ref().to_string();
                stack.push(Element::new(&name));
            }
            Event::Empty(start) => {
                let name = start.local_name().as_ref().to_string();
                let element = Element::new(&name);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None if root.is_none() => root = Some(element),
                    None => return Err(bad("content after the root element".into())),
                }
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| bad("an end tag without a start".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return Err(bad("text outside the root element".into()));
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let Some(top) = stack.last_mut() else {
                    return Err(bad("an entity outside the root element".into()));
                };
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    top.text.push(c);
                } else if let Some(s) = resolve_predefined_entity(&r.xml10_content()) {
                    top.text.push_str(s);
                } else {
                    return Err(bad(format!("unknown entity &{};", r.xml10_content())));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(bad("the document ends inside an element".into()));
    }
    root.ok_or_else(|| Error::malformed(format!("the {what} is empty")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use libcloud_core::ErrorKind;

    #[test]
    fn reads_by_local_name_and_resolves_entities() {
        let doc = br#"<?xml version="1.0"?>
<r:Root xmlns:r="urn:x"><r:A>one &amp; two &#233;<![CDATA[<c>]]></r:A><B/><A>second</A></r:Root>"#;
        let root = parse(doc, "doc").unwrap();
        assert_eq!(root.name, "Root");
        assert_eq!(root.text_of("A"), Some("one & two \u{e9}<c>"));
        assert_eq!(root.all("A").count(), 2);
        assert!(root.child("B").unwrap().children.is_empty());
        assert_eq!(root.text_of("B"), None);
        assert!(root.required("C", "the doc").is_err());
    }

    #[test]
    fn lists_are_members() {
        let doc = b"<R><Zones><member> a </member><member/><member>b</member></Zones></R>";
        let root = parse(doc, "doc").unwrap();
        assert_eq!(root.member_texts("Zones"), ["a", "b"]);
        assert_eq!(root.members("Zones").count(), 3);
        assert_eq!(root.members("Missing").count(), 0);
        assert!(root.at(&["Zones", "member"]).is_some());
    }

    #[test]
    fn writes_what_it_reads() {
        let e = Element::new("Set")
            .with(Element::text("Name", "a&b<c>"))
            .with(Element::new("Empty"));
        let mut out = String::new();
        e.write(&mut out);
        assert_eq!(
            out,
            "<Set><Name>a&amp;b&lt;c&gt;</Name><Empty></Empty></Set>"
        );
        assert_eq!(parse(out.as_bytes(), "doc").unwrap(), e);
    }

    #[test]
    fn set_child_replaces_in_place_or_inserts_before() {
        let mut e = Element::new("S")
            .with(Element::text("Name", "n"))
            .with(Element::text("ResourceRecords", ""));
        e.set_child(Element::text("TTL", "60"), &["ResourceRecords"]);
        let names: Vec<&str> = e.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Name", "TTL", "ResourceRecords"]);
        e.set_child(Element::text("TTL", "300"), &[]);
        assert_eq!(e.text_of("TTL"), Some("300"));
        assert_eq!(e.children.len(), 3);
    }

    #[test]
    fn refuses_what_is_not_one_document() {
        for bad in [
            &b""[..],
            b"   ",
            b"<a>",
            b"<a></b>",
            b"</a>",
            b"<a/><b/>",
            b"text",
            b"<a>&bogus;</a>",
            b"\xff\xfe",
        ] {
            let err = parse(bad, "doc").unwrap_err();
            assert_eq!(*err.kind(), ErrorKind::MalformedResponse, "{bad:?}");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(parse(deep.as_bytes(), "doc").is_err());
    }
}
