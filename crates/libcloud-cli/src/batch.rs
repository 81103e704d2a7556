//! `libcloud batch`: many commands in one process, so that drivers (and in-memory clouds)
//! stay open from one command to the next.

use std::path::Path;

use libcloud::{Error, Result};

/// Splits one line into words as a POSIX shell does for quoting: whitespace separates words;
/// `'...'` keeps everything literally; `"..."` keeps everything but lets `\` escape `"`, `\`,
/// `$` and `` ` ``; outside quotes `\` escapes the next character; a `#` that starts a word
/// starts a comment that runs to the end of the line. Nothing is expanded.
/// An unclosed quote or a trailing `\` is `InvalidInput`.
pub fn split_words(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(Error::invalid_input("unclosed ' quote")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(Error::invalid_input("unclosed \" quote")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(Error::invalid_input("unclosed \" quote")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => return Err(Error::invalid_input("a line ends with \\")),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// The commands of a batch: `(line number, words)` for each line that is not blank or a
/// `#` comment.
pub fn read_lines(text: &str) -> Result<Vec<(usize, Vec<String>)>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let words = split_words(line)
            .map_err(|e| Error::invalid_input(format!("line {}: {}", i + 1, e)))?;
        let words = match words.first().map(String::as_str) {
            // Lines may be written as full command lines.
            Some("libcloud") => words.into_iter().skip(1).collect(),
            _ => words,
        };
        if !words.is_empty() {
            out.push((i + 1, words));
        }
    }
    Ok(out)
}

/// Reads the batch file, or standard input for `-` or no file.
pub async fn read_script(file: Option<&Path>) -> Result<String> {
    match file {
        Some(path) if path != Path::new("-") => {
            tokio::fs::read_to_string(path).await.map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Error::not_found(libcloud::ResourceKind::Other, path.display().to_string())
                        .with_operation("read file")
                } else {
                    Error::from(e).with_message(path.display().to_string())
                }
            })
        }
        _ => {
            let mut text = String::new();
            tokio::io::AsyncReadExt::read_to_string(&mut tokio::io::stdin(), &mut text).await?;
            Ok(text)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            split_words(r#"  dns create-record ex.com "" TXT "v=spf1 \"x\" -all"  "#).unwrap(),
            [
                "dns",
                "create-record",
                "ex.com",
                "",
                "TXT",
                "v=spf1 \"x\" -all"
            ]
        );
        assert_eq!(
            split_words(r"a\ b 'c d'\''e' f").unwrap(),
            ["a b", "c d'e", "f"]
        );
        assert_eq!(split_words(r#""a\n""#).unwrap(), [r"a\n"]);
        assert!(split_words("'open").is_err());
        assert!(split_words("\"open").is_err());
        assert!(split_words("end\\").is_err());
        assert!(split_words("   ").unwrap().is_empty());
    }

    #[test]
    fn scripts_skip_comments_and_blank_lines() {
        let script = "# setup\n\nlibcloud storage mb memory://a\n  storage ls a#b # comment\n";
        let lines = read_lines(script).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            (3, vec!["storage".into(), "mb".into(), "memory://a".into()])
        );
        assert_eq!(lines[1].0, 4);
        assert_eq!(lines[1].1, ["storage", "ls", "a#b"]);
        let err = read_lines("ok\n'bad\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
