//! Just enough `multipart/form-data` for the tax form upload: named parts with an optional
//! file name and content type (RFC 7578). Parts are split on the boundary; nothing streams.

use axum::body::{Body, HttpBody};

/// Why an upload's body was not read.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    TooLarge,
    Unreadable,
}

/// Reads at most `limit` bytes. A larger body is still drained up to twice the limit, so the
/// browser gets the refusal page rather than a connection reset in the middle of its upload.
pub async fn read_limited(mut body: Body, limit: usize) -> Result<Vec<u8>, BodyError> {
    let drain_limit = limit.saturating_mul(2);
    let mut kept = Vec::new();
    let mut seen: usize = 0;
    while let Some(frame) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(frame) = frame else {
            return Err(BodyError::Unreadable);
        };
        let Ok(data) = frame.into_data() else { continue };
        seen = seen.saturating_add(data.len());
        if seen <= limit {
            kept.extend_from_slice(&data);
        } else if seen > drain_limit {
            break;
        }
    }
    if seen > limit {
        return Err(BodyError::TooLarge);
    }
    Ok(kept)
}

/// One part of a form.
#[derive(Debug, PartialEq)]
pub struct Part<'a> {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub body: &'a [u8],
}

/// The boundary named by a `Content-Type: multipart/form-data; boundary=…` header.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_owned())
            .filter(|b| !b.is_empty())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A parameter of a `Content-Disposition` header (`name="…"`).
fn param(header: &str, key: &str) -> Option<String> {
    header.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The parts of `body`; None when it is not well-formed.
pub fn parse<'a>(body: &'a [u8], boundary: &str) -> Option<Vec<Part<'a>>> {
    let delimiter = format!("--{boundary}");
    let separator = format!("\r\n--{boundary}");
    let start = find(body, delimiter.as_bytes())? + delimiter.len();
    let mut rest = &body[start..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let content = &rest[head_end + 4..];
        let end = find(content, separator.as_bytes())?;
        let (mut name, mut file_name, mut content_type) = (None, None, None);
        for line in head.split("\r\n") {
            let (key, value) = line.split_once(':')?;
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                name = param(value, "name");
                file_name = param(value, "filename");
            } else if key.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(value.trim().to_owned());
            }
        }
        parts.push(Part {
            name: name?,
            file_name,
            content_type,
            body: &content[..end],
        });
        rest = &content[end + separator.len()..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"form\"\r\n\r\nW9\r\n--XyZ\r\n\
Content-Disposition: form-data; name=\"document\"; filename=\"w9.pdf\"\r\nContent-Type: application/pdf\r\n\r\n\
%PDF-1.4\r\nbody\r\n--XyZ--\r\n";
        let b = boundary("multipart/form-data; boundary=XyZ").unwrap();
        let parts = parse(body, &b).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].body), ("form", &b"W9"[..]));
        assert_eq!(parts[1].file_name.as_deref(), Some("w9.pdf"));
        assert_eq!(parts[1].content_type.as_deref(), Some("application/pdf"));
        assert_eq!(parts[1].body, b"%PDF-1.4\r\nbody");
        assert!(parse(b"garbage", &b).is_none());
        assert!(boundary("application/x-www-form-urlencoded").is_none());
    }
}
