//! A small XML element tree: what Route 53's answers are read into, and what its requests are
//! written from.
//!
//! Elements are matched by local name, so a namespace prefix (or its absence) does not matter.
//! A record set that came from the server is kept as its element, so that a DELETE repeats it
//! exactly, routing-policy fields included.

use libcloud_core::{Error, Result};
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

/// How deep elements may nest before a document is refused.
const MAX_DEPTH: usize = 64;

/// One XML element: its local name, its own text and its child elements, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    /// The local name (`LoadBalancerName`).
    pub(crate) name: String,
    /// The text directly inside the element, entities resolved, untrimmed.
    pub(crate) text: String,
    /// The child elements.
    pub(crate) children: Vec<Element>,
}

impl Element {
    fn named(name: &str) -> Self {
        Element {
            name: name.to_string(),
            ..Element::default()
        }
    }

    /// The first child called `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child called `name`.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a path of child names.
    pub(crate) fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |e, name| e.child(name))
    }

    /// The trimmed text of the child called `name`; `None` when it is missing or blank.
    pub(crate) fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// The trimmed text of the child `name`, or a `MalformedResponse` error naming `what`.
    pub(crate) fn required(&self, name: &str, what: &str) -> Result<&str> {
        self.text_of(name)
            .ok_or_else(|| Error::malformed(format!("{what} has no <{name}> in <{}>", self.name)))
    }

    /// The `<member>` elements of the child `name` (a query-API list); none when it is absent.
    pub(crate) fn members<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.child(name)
            .into_iter()
            .flat_map(|list| list.all("member"))
    }

    /// The trimmed texts of the `<member>` elements of the child `name`, blanks left out.
    pub(crate) fn member_texts(&self, name: &str) -> Vec<String> {
        self.members(name)
            .map(|m| m.text.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

/// Reads a whole document into its root element.
///
/// Anything that is not well-formed XML with one root, or nests deeper than 64 levels, is
/// `MalformedResponse` naming `what`. Never panics, whatever the bytes.
pub(crate) fn parse(body: &[u8], what: &str) -> Result<Element> {
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
                stack.push(Element::named(&name));
            }
            Event::Empty(start) => {
                let name = start.local_name().as_ref().to_string();
                let element = Element::named(&name);
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
