//! Percent-encoding as AWS signs it: RFC 3986, everything but the unreserved characters.

use libcloud_core::transport::percent_encode as encode;

/// Encodes an object key (or any path) for a URI: every byte but the unreserved characters and
/// `/` becomes `%XX` (upper-case hex), so the path is exactly what S3 signs.
///
/// ```
/// use libcloud_aws::encode::encode_path;
/// assert_eq!(encode_path("photos/2024/a b+c$.jpg"), "photos/2024/a%20b%2Bc%24.jpg");
/// assert_eq!(encode_path("ключ"), "%D0%BA%D0%BB%D1%8E%D1%87");
/// ```
pub fn encode_path(path: &str) -> String {
    encode(path, true)
}

/// Encodes one query-string name or value: every byte but the unreserved characters becomes
/// `%XX`, including `/`, `=`, `&`, `+` and space.
///
/// ```
/// use libcloud_aws::encode::encode_component;
/// assert_eq!(encode_component("a/b=c&d e+f"), "a%2Fb%3Dc%26d%20e%2Bf");
/// ```
pub fn encode_component(value: &str) -> String {
    encode(value, false)
}

/// Joins name/value pairs into a query string (`a=1&b=2`), encoding each with
/// [`encode_component`] and keeping their order. This is also the body of an AWS query-API
/// POST (`Action=...&Version=...`).
///
/// ```
/// use libcloud_aws::encode::encode_query;
/// assert_eq!(
///     encode_query([("Action", "DescribeInstances"), ("Filter.1.Value.1", "a b")]),
///     "Action=DescribeInstances&Filter.1.Value.1=a%20b"
/// );
/// ```
pub fn encode_query<I, K, V>(pairs: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode_component(k.as_ref()));
        out.push('=');
        out.push_str(&encode_component(v.as_ref()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_pass_and_everything_else_is_escaped() {
        let unreserved = "ABCXYZabcxyz0189-._~";
        assert_eq!(encode_path(unreserved), unreserved);
        assert_eq!(encode_component(unreserved), unreserved);
        assert_eq!(encode_path("a//b/"), "a//b/");
        assert_eq!(encode_component("a/b"), "a%2Fb");
        assert_eq!(encode_path("%41"), "%2541");
        assert_eq!(
            encode_path("?#[]@!$&'()*+,;= "),
            "%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%20"
        );
        assert_eq!(encode_path("\u{0}\u{7f}"), "%00%7F");
        assert_eq!(encode_query(Vec::<(&str, &str)>::new()), "");
    }
}
