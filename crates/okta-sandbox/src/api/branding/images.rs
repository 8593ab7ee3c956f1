//! What Okta accepts as theme images: the type is judged by the file's first bytes (not its
//! name), and each image kind has its own formats and size limit.

/// Image formats recognised by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Gif,
    Ico,
    Svg,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Png => "PNG",
            Format::Jpeg => "JPG",
            Format::Gif => "GIF",
            Format::Ico => "ICO",
            Format::Svg => "SVG",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpg",
            Format::Gif => "gif",
            Format::Ico => "ico",
            Format::Svg => "svg",
        }
    }
}

pub fn sniff(data: &[u8]) -> Option<Format> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Format::Png);
    }
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Format::Jpeg);
    }
    if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        return Some(Format::Gif);
    }
    if data.len() >= 6 && data.starts_with(&[0, 0, 1, 0]) && data[4..6] != [0, 0] {
        return Some(Format::Ico);
    }
    let head = String::from_utf8_lossy(&data[..data.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if (head.starts_with("<?xml") || head.starts_with("<svg") || head.starts_with("<!--"))
        && head.contains("<svg")
    {
        return Some(Format::Svg);
    }
    None
}

/// Width and height of a PNG (IHDR) or of every image in an ICO directory.
pub fn dimensions(format: Format, data: &[u8]) -> Vec<(u32, u32)> {
    match format {
        Format::Png if data.len() >= 24 => {
            let w = u32::from_be_bytes([data[16], data[17], data[18], data[19]]);
            let h = u32::from_be_bytes([data[20], data[21], data[22], data[23]]);
            vec![(w, h)]
        }
        Format::Ico if data.len() >= 6 => {
            let count = u16::from_le_bytes([data[4], data[5]]) as usize;
            (0..count)
                .filter_map(|i| {
                    let entry = data.get(6 + i * 16..6 + i * 16 + 2)?;
                    let side = |b: u8| if b == 0 { 256 } else { u32::from(b) };
                    Some((side(entry[0]), side(entry[1])))
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The three kinds of theme image and Okta's documented rules for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Logo,
    Favicon,
    BackgroundImage,
}

impl Kind {
    pub fn formats(self) -> &'static [Format] {
        match self {
            Kind::Logo | Kind::BackgroundImage => &[Format::Png, Format::Jpeg, Format::Gif],
            Kind::Favicon => &[Format::Png, Format::Ico],
        }
    }

    /// Largest accepted file, in bytes ("less than 100kB" / "less than 2 MB").
    pub fn max_bytes(self) -> usize {
        match self {
            Kind::Logo => 100 * 1024,
            Kind::Favicon | Kind::BackgroundImage => 2 * 1024 * 1024,
        }
    }
}

/// Checks an upload the way Okta does; the error says what is wrong in Okta's words.
pub fn check(kind: Kind, data: &[u8]) -> Result<Format, String> {
    let allowed: Vec<&str> = kind.formats().iter().map(|f| f.name()).collect();
    let format = sniff(data)
        .filter(|f| kind.formats().contains(f))
        .ok_or_else(|| format!("The file must be in {} format", allowed.join(" or ")))?;
    if data.len() >= kind.max_bytes() {
        return Err(format!(
            "The file must be less than {} in size",
            if kind == Kind::Logo { "100kB" } else { "2 MB" }
        ));
    }
    if kind == Kind::Favicon {
        let dims = dimensions(format, data);
        if dims.is_empty() || dims.iter().any(|(w, h)| w != h || *w > 512 || *w == 0) {
            return Err(
                "The favicon must have a 1:1 ratio with a maximum dimension of 512 x 512".into(),
            );
        }
    }
    Ok(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        out.extend_from_slice(&w.to_be_bytes());
        out.extend_from_slice(&h.to_be_bytes());
        out.extend_from_slice(&[8, 6, 0, 0, 0]);
        out
    }

    #[test]
    fn types_come_from_magic_bytes() {
        assert_eq!(sniff(&png(1, 1)), Some(Format::Png));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some(Format::Jpeg));
        assert_eq!(sniff(b"GIF89a..."), Some(Format::Gif));
        assert_eq!(sniff(b"\0\0\x01\0\x01\0\x20\x20"), Some(Format::Ico));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Some(Format::Svg)
        );
        assert_eq!(sniff(b"%PDF-1.7"), None);
    }

    #[test]
    fn each_kind_has_its_rules() {
        assert!(check(Kind::Logo, &png(300, 50)).is_ok());
        let mut big = png(300, 50);
        big.resize(100 * 1024, 0);
        assert!(check(Kind::Logo, &big).unwrap_err().contains("100kB"));
        assert!(check(Kind::BackgroundImage, &big).is_ok());
        assert!(check(Kind::Logo, b"<svg xmlns='x'/>").is_err());
        assert!(check(Kind::Favicon, &png(32, 32)).is_ok());
        assert!(check(Kind::Favicon, &png(32, 16)).is_err());
        assert!(check(Kind::Favicon, &png(1024, 1024)).is_err());
        assert!(check(Kind::Favicon, b"\0\0\x01\0\x01\0\x20\x20\0\0").is_ok());
        assert!(check(Kind::Favicon, b"GIF89a").is_err());
    }
}
