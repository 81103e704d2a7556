//! Inputs for fuzzing response parsers with proptest: seed corpora, mutations of them, and
//! generated XML and JSON documents.
//!
//! A fuzz property feeds each input to a driver (through a [`Replay`](crate::Replay) answering
//! with it) and checks that the driver answers or fails with a typed error, and never panics.
//! The inputs come from:
//!
//! - [`corpus`]: seed files kept beside the tests (`tests/corpus/<target>/`), one realistic
//!   response each, written by hand;
//! - [`mutations_of`]: those seeds cut, spliced, with bytes replaced and with tokens that break
//!   the format inserted, from a `dictionary` of the format's own words;
//! - [`xml_documents`] and [`json_documents`]: well-formed documents made of the element names
//!   or keys the parser looks for, holding odd values (huge or negative numbers, empty text,
//!   markup characters, non-ASCII);
//! - [`arbitrary_bytes`]: anything at all.
//!
//! [`inputs`] mixes them. The number of cases is proptest's: 256 per property unless
//! `PROPTEST_CASES` says otherwise, which is how `cargo xtask fuzz` runs longer. A failure is
//! shrunk to a small input and saved by proptest under `proptest-regressions/`; commit that file
//! so the case is replayed by every later run.

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

/// Deterministic damaged copies of a recorded `body`: cut at about 25 points (and one byte
/// short of its end), and 48 copies with a piece of `junk` (bytes that break the format) written
/// over a place chosen by an xorshift generator started at `seed`. Each comes with a label
/// saying what was done, for failure messages.
pub fn cut_and_garbled(body: &[u8], junk: &[&[u8]], seed: u32) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let step = (body.len() / 24).max(1);
    for cut in (0..body.len())
        .step_by(step)
        .chain([body.len().saturating_sub(1)])
    {
        out.push((format!("cut at {cut}"), body[..cut].to_vec()));
    }
    if junk.is_empty() {
        return out;
    }
    let mut seed = seed.max(1);
    for i in 0..48 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let at = seed as usize % body.len().max(1);
        let j = junk[i % junk.len()];
        let mut garbled = body.to_vec();
        let end = (at + j.len()).min(garbled.len());
        garbled.splice(at..end, j.iter().copied());
        out.push((format!("{:?} at {at}", String::from_utf8_lossy(j)), garbled));
    }
    out
}

/// A proptest configuration running `PROPTEST_CASES` cases when that is set, else
/// `default_cases`: for properties whose cases are slow (they touch the file system), so that
/// the default run stays short while `cargo xtask fuzz` can still raise the count.
pub fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Reads every file of the directory `dir` (sorted by name) as one seed input.
///
/// # Panics
///
/// When the directory cannot be read or holds no file: a fuzz target without seeds would test
/// much less than it claims.
pub fn corpus(dir: impl AsRef<Path>) -> Vec<Vec<u8>> {
    let dir = dir.as_ref();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let seeds: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("corpus {}: {e}", p.display())))
        .collect();
    assert!(!seeds.is_empty(), "corpus {} holds no file", dir.display());
    seeds
}

/// One change to an input.
#[derive(Debug, Clone)]
enum Edit {
    /// Keep only what comes before this place.
    Truncate(Index),
    /// Remove up to this many bytes from this place.
    Delete(Index, u8),
    /// Insert a dictionary word here.
    Insert(Index, Index),
    /// Replace the byte here.
    Overwrite(Index, u8),
    /// Repeat up to this many bytes from this place right after them.
    Duplicate(Index, u8),
    /// Replace the rest from this place with the rest of another seed from its place.
    Splice(Index, Index, Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), any::<u8>()).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, w)| Edit::Insert(i, w)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Overwrite(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, n)| Edit::Duplicate(i, n)),
        (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(i, s, j)| Edit::Splice(i, s, j)),
    ]
}

/// A place in an input of `len` bytes, from 0 to `len` inclusive.
fn place(index: &Index, len: usize) -> usize {
    index.index(len + 1)
}

fn apply(mut data: Vec<u8>, edits: &[Edit], seeds: &[Vec<u8>], dictionary: &[&str]) -> Vec<u8> {
    for edit in edits {
        let len = data.len();
        match edit {
            Edit::Truncate(i) => data.truncate(place(i, len)),
            Edit::Delete(i, n) => {
                let at = place(i, len);
                let end = (at + usize::from(*n)).min(len);
                data.drain(at..end);
            }
            Edit::Insert(i, w) => {
                if !dictionary.is_empty() {
                    let word = dictionary[w.index(dictionary.len())].as_bytes();
                    let at = place(i, len);
                    data.splice(at..at, word.iter().copied());
                }
            }
            Edit::Overwrite(i, b) => {
                if len > 0 {
                    data[i.index(len)] = *b;
                }
            }
            Edit::Duplicate(i, n) => {
                let at = place(i, len);
                let end = (at + usize::from(*n)).min(len);
                let copy = data[at..end].to_vec();
                data.splice(end..end, copy);
            }
            Edit::Splice(i, s, j) => {
                let other = &seeds[s.index(seeds.len())];
                data.truncate(place(i, len));
                data.extend_from_slice(&other[place(j, other.len())..]);
            }
        }
    }
    data
}

/// Inputs made from `seeds` by up to eight edits each: cuts, deletions, insertions of
/// `dictionary` words, byte overwrites, repeats and splices with other seeds. Shrinking removes
/// edits, so a failure shrinks towards the seed it came from.
///
/// # Panics
///
/// When `seeds` is empty.
pub fn mutations_of(
    seeds: Vec<Vec<u8>>,
    dictionary: &'static [&'static str],
) -> BoxedStrategy<Vec<u8>> {
    assert!(!seeds.is_empty(), "mutations_of needs at least one seed");
    let seeds = std::sync::Arc::new(seeds);
    (any::<Index>(), prop::collection::vec(edit(), 0..8))
        .prop_map(move |(which, edits)| {
            let start = seeds[which.index(seeds.len())].clone();
            apply(start, &edits, &seeds, dictionary)
        })
        .boxed()
}

/// Any bytes, up to `max` of them.
pub fn arbitrary_bytes(max: usize) -> BoxedStrategy<Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=max).boxed()
}

/// Text values that trip parsers: numbers out of range, negative, fractional or empty, dates,
/// markup characters, entities, whitespace and non-ASCII.
fn odd_text() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
        Just("99999999999999999999999999".to_string()),
        Just("1e400".to_string()),
        Just("NaN".to_string()),
        Just("true".to_string()),
        Just("2011-03-10T13:25:55Z".to_string()),
        Just("not a date".to_string()),
        Just(" \t\n".to_string()),
        Just("&amp;&lt;&#x0;&#xD800;&bogus;".to_string()),
        Just("\u{1F600}\u{0301}ü".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[a-zA-Z0-9._/-]{0,24}",
        any::<String>(),
    ]
    .boxed()
}

/// Escapes `<` and `>` only: `&` is left as it is, so that the entities of the odd values
/// (some of them invalid) reach the parser.
fn escape_xml(text: &str) -> String {
    text.replace('<', "&lt;").replace('>', "&gt;")
}

/// Well-formed-looking XML documents built from the element `names` a parser reads: nested up
/// to four levels, each element holding odd text or more elements, sometimes with attributes.
/// The first name is preferred as the root.
///
/// # Panics
///
/// When `names` is empty.
pub fn xml_documents(names: &'static [&'static str]) -> BoxedStrategy<Vec<u8>> {
    assert!(!names.is_empty(), "xml_documents needs element names");
    let name = prop::sample::select(names.to_vec());
    let leaf = (name.clone(), odd_text())
        .prop_map(|(n, t)| format!("<{n}>{}</{n}>", escape_xml(&t)))
        .boxed();
    let tree = leaf.prop_recursive(4, 64, 6, move |inner| {
        (
            prop::sample::select(names.to_vec()),
            prop::collection::vec(inner, 0..6),
            prop::option::of("[a-z]{1,8}=\"[a-z0-9]{0,8}\""),
        )
            .prop_map(|(n, children, attr)| {
                let attr = attr.map(|a| format!(" {a}")).unwrap_or_default();
                format!("<{n}{attr}>{}</{n}>", children.concat())
            })
    });
    (prop::collection::vec(tree, 0..6), any::<bool>())
        .prop_map(move |(children, declaration)| {
            let root = names[0];
            let decl = if declaration {
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            } else {
                ""
            };
            format!("{decl}<{root}>{}</{root}>", children.concat()).into_bytes()
        })
        .boxed()
}

fn odd_json_scalar() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        odd_text().prop_map(Value::String),
    ]
    .boxed()
}

/// JSON documents built from the `keys` a parser reads: objects and arrays nested up to four
/// levels holding odd scalars (null, huge and negative numbers, floats, odd strings).
///
/// # Panics
///
/// When `keys` is empty.
pub fn json_documents(keys: &'static [&'static str]) -> BoxedStrategy<Vec<u8>> {
    assert!(!keys.is_empty(), "json_documents needs keys");
    odd_json_scalar()
        .prop_recursive(4, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(keys.to_vec()), inner), 0..8).prop_map(
                    |pairs| {
                        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                    }
                ),
            ]
        })
        .prop_map(|v| serde_json::to_vec(&v).unwrap_or_default())
        .boxed()
}

/// The usual mix for a parser: mostly mutated seeds, some generated documents (when
/// `generated` is given) and some arbitrary bytes.
pub fn inputs(
    seeds: Vec<Vec<u8>>,
    dictionary: &'static [&'static str],
    generated: Option<BoxedStrategy<Vec<u8>>>,
) -> BoxedStrategy<Vec<u8>> {
    let mutated = mutations_of(seeds, dictionary);
    match generated {
        Some(generated) => prop_oneof![
            6 => mutated,
            3 => generated,
            1 => arbitrary_bytes(512),
        ]
        .boxed(),
        None => prop_oneof![8 => mutated, 1 => arbitrary_bytes(512)].boxed(),
    }
}

/// Words that break or bend XML, for [`mutations_of`].
pub const XML_DICTIONARY: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "&",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?xml version=\"1.0\"?>",
    "<!DOCTYPE x [<!ENTITY e \"ee\">]>",
    "&e;",
    "\"",
    "'",
    "=",
    "xmlns=\"urn:x\"",
    "\u{0}",
    "\u{FEFF}",
    "\u{FFFF}",
    "-1",
    "18446744073709551616",
    "1e999",
    "\u{e9}",
    "\u{ff}",
];

/// Words that break or bend JSON, for [`mutations_of`].
pub const JSON_DICTIONARY: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "null",
    "true",
    "false",
    "-1",
    "0.0",
    "1e999",
    "-0",
    "18446744073709551616",
    "\"\"",
    "{}",
    "[]",
    "\u{0}",
    "\u{FEFF}",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn edits_stay_in_bounds_and_change_things() {
        let seeds = vec![b"<a><b>1</b></a>".to_vec(), b"{\"k\":[1,2]}".to_vec()];
        let strategy = mutations_of(seeds.clone(), XML_DICTIONARY);
        let mut runner = TestRunner::deterministic();
        let mut changed = 0;
        for _ in 0..500 {
            let value = strategy.new_tree(&mut runner).unwrap().current();
            if !seeds.contains(&value) {
                changed += 1;
            }
        }
        assert!(
            changed > 300,
            "only {changed} of 500 inputs differ from the seeds"
        );
    }

    #[test]
    fn generated_documents_use_the_given_names() {
        let mut runner = TestRunner::deterministic();
        let xml = xml_documents(&["zones", "zone", "id"]);
        let json = json_documents(&["list", "id"]);
        for _ in 0..50 {
            let doc = String::from_utf8(xml.new_tree(&mut runner).unwrap().current()).unwrap();
            assert!(
                doc.contains("<zones>") && doc.ends_with("</zones>"),
                "{doc}"
            );
            let doc = json.new_tree(&mut runner).unwrap().current();
            assert!(serde_json::from_slice::<Value>(&doc).is_ok());
        }
    }
}
