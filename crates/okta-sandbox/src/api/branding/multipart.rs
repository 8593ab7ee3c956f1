//! Just enough `multipart/form-data` (RFC 7578) to read the one `file` field Okta's image
//! uploads take; anything malformed is Okta's 400.

use crate::error::ApiError;

/// One uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

fn bad(cause: &str) -> ApiError {
    ApiError::validation("file", format!("file: {cause}"))
}

/// The boundary parameter of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    let media = parts.next()?.trim();
    if !media.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts
        .find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("boundary")
                .then(|| v.trim().trim_matches('"').to_owned())
        })
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A header parameter such as `name="file"` from a Content-Disposition value.
fn param(header: &str, name: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Finds the form field `field` in a multipart body.
pub fn file_field(
    content_type: Option<&str>,
    body: &[u8],
    field: &str,
) -> Result<FilePart, ApiError> {
    let boundary = content_type
        .and_then(boundary)
        .ok_or_else(|| bad("the request must be multipart/form-data with a boundary"))?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut rest = match find(body, &delimiter) {
        Some(at) => &body[at + delimiter.len()..],
        None => return Err(bad("no multipart parts found")),
    };
    loop {
        if rest.starts_with(b"--") {
            return Err(bad(&format!("the form has no '{field}' part")));
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or_else(|| bad("malformed multipart body"))?;
        let header_end = find(rest, b"\r\n\r\n").ok_or_else(|| bad("malformed part headers"))?;
        let headers = String::from_utf8_lossy(&rest[..header_end]).into_owned();
        let content = &rest[header_end + 4..];
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let end =
            find(content, &closing).ok_or_else(|| bad("the multipart body is not terminated"))?;
        let data = &content[..end];
        rest = &content[end + closing.len()..];

        let mut disposition = None;
        let mut part_type = None;
        for line in headers.split("\r\n") {
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-disposition") {
                    disposition = Some(value.trim().to_owned());
                } else if name.trim().eq_ignore_ascii_case("content-type") {
                    part_type = Some(value.trim().to_owned());
                }
            }
        }
        if let Some(disposition) = disposition
            && param(&disposition, "name").as_deref() == Some(field)
        {
            return Ok(FilePart {
                filename: param(&disposition, "filename"),
                content_type: part_type,
                data: data.to_vec(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(boundary: &str, parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, data) in parts {
            out.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        out
    }

    #[test]
    fn reads_the_named_part_byte_exact() {
        let png = b"\x89PNG\r\n\x1a\n\r\n--not-it\x00\xff";
        let raw = body("XyZ", &[("other", b"1"), ("file", png)]);
        let part = file_field(Some("multipart/form-data; boundary=XyZ"), &raw, "file").unwrap();
        assert_eq!(part.data, png.to_vec());
        assert_eq!(part.filename.as_deref(), Some("a.png"));
        assert_eq!(part.content_type.as_deref(), Some("image/png"));
    }

    #[test]
    fn refuses_missing_or_malformed_forms() {
        let raw = body("b", &[("other", b"1")]);
        assert!(file_field(Some("multipart/form-data; boundary=b"), &raw, "file").is_err());
        assert!(file_field(Some("application/json"), &raw, "file").is_err());
        assert!(file_field(None, &raw, "file").is_err());
        assert!(file_field(Some("multipart/form-data; boundary=b"), b"--b\r\nX", "file").is_err());
    }
}
