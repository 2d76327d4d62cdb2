//! Banner images: the type told by the bytes (never by the name or the declared type) and the
//! dimensions read from the header. Only raster formats browsers show safely: SVG can carry
//! script and is refused.

use crate::ValidationError;

/// 2 MiB.
pub const MAX_PROMO_IMAGE_BYTES: usize = 2 * 1024 * 1024;

/// What an accepted banner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromoImage {
    pub content_type: &'static str,
    pub width: i32,
    pub height: i32,
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?)))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?)))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

fn png_size(b: &[u8]) -> Option<(u32, u32)> {
    if b.get(12..16)? != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(b.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(b.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

fn gif_size(b: &[u8]) -> Option<(u32, u32)> {
    Some((le16(b, 6)?, le16(b, 8)?))
}

/// Walks the markers up to the first start-of-frame, which holds the dimensions.
fn jpeg_size(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    loop {
        while *b.get(i)? == 0xFF && *b.get(i + 1)? == 0xFF {
            i += 1; // fill bytes
        }
        if *b.get(i)? != 0xFF {
            return None;
        }
        let marker = *b.get(i + 1)?;
        match marker {
            0x01 | 0xD0..=0xD7 => i += 2,
            0xD9 | 0xDA => return None,
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                return Some((be16(b, i + 7)?, be16(b, i + 5)?));
            }
            _ => i += 2 + usize::try_from(be16(b, i + 2)?).ok()?,
        }
    }
}

fn webp_size(b: &[u8]) -> Option<(u32, u32)> {
    match b.get(12..16)? {
        b"VP8 " => {
            if b.get(23..26)? != [0x9D, 0x01, 0x2A] {
                return None;
            }
            Some((le16(b, 26)? & 0x3FFF, le16(b, 28)? & 0x3FFF))
        }
        b"VP8L" => {
            if *b.get(20)? != 0x2F {
                return None;
            }
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        _ => None,
    }
}

/// Checks an uploaded banner: present, at most 2 MiB, a PNG, JPEG, GIF or WebP by its magic
/// bytes, with a readable header giving non-zero dimensions.
pub fn inspect_promo_image(bytes: &[u8]) -> Result<PromoImage, ValidationError> {
    if bytes.is_empty() {
        return Err(ValidationError::with_code(
            "image",
            "image_required",
            "choose an image to upload",
        ));
    }
    if bytes.len() > MAX_PROMO_IMAGE_BYTES {
        return Err(ValidationError::with_code(
            "image",
            "image_too_large",
            "the image must be at most 2 MiB",
        ));
    }
    let (content_type, size) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ("image/png", png_size(bytes))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ("image/jpeg", jpeg_size(bytes))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        ("image/gif", gif_size(bytes))
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        ("image/webp", webp_size(bytes))
    } else {
        return Err(ValidationError::with_code(
            "image",
            "unsupported_image_type",
            "the image must be a PNG, JPEG, GIF or WebP file",
        ));
    };
    let (width, height) = size
        .and_then(|(w, h)| Some((i32::try_from(w).ok()?, i32::try_from(h).ok()?)))
        .filter(|&(w, h)| w > 0 && h > 0)
        .ok_or_else(|| {
            ValidationError::with_code("image", "image_unreadable", "the image's header could not be read")
        })?;
    Ok(PromoImage {
        content_type,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0]);
        b
    }

    fn code(bytes: &[u8]) -> &'static str {
        inspect_promo_image(bytes).unwrap_err().code
    }

    #[test]
    fn png_and_gif_headers_give_their_size() {
        let img = inspect_promo_image(&png(728, 90)).unwrap();
        assert_eq!((img.content_type, img.width, img.height), ("image/png", 728, 90));
        let gif = b"GIF89a\x2c\x01\xfa\x00\x80\x00\x00";
        let img = inspect_promo_image(gif).unwrap();
        assert_eq!((img.content_type, img.width, img.height), ("image/gif", 300, 250));
    }

    #[test]
    fn jpeg_dimensions_come_from_the_first_frame_header() {
        // SOI, an APP0 segment of 16 bytes, then SOF0 with height 250 and width 300.
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        b.extend_from_slice(&[0; 14]);
        b.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0xFA, 0x01, 0x2C, 0x03]);
        let img = inspect_promo_image(&b).unwrap();
        assert_eq!((img.content_type, img.width, img.height), ("image/jpeg", 300, 250));
        // A scan before any frame header: nothing to read the size from.
        assert_eq!(code(&[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02]), "image_unreadable");
    }

    #[test]
    fn webp_variants_give_their_size() {
        let riff = |chunk: &[u8], rest: &[u8]| {
            let mut b = b"RIFF\0\0\0\0WEBP".to_vec();
            b.extend_from_slice(chunk);
            b.extend_from_slice(&[0; 4]);
            b.extend_from_slice(rest);
            b
        };
        let lossy = riff(b"VP8 ", &[0, 0, 0, 0x9D, 0x01, 0x2A, 0x2C, 0x01, 0xFA, 0x00]);
        assert_eq!(inspect_promo_image(&lossy).unwrap().width, 300);
        // 14-bit width-1 = 299, height-1 = 249.
        let bits: u32 = 299 | (249 << 14);
        let mut l = vec![0x2F];
        l.extend_from_slice(&bits.to_le_bytes());
        let lossless = inspect_promo_image(&riff(b"VP8L", &l)).unwrap();
        assert_eq!((lossless.width, lossless.height), (300, 250));
        let ext = riff(b"VP8X", &[0, 0, 0, 0, 0x2B, 0x01, 0x00, 0xF9, 0x00, 0x00]);
        let ext = inspect_promo_image(&ext).unwrap();
        assert_eq!((ext.content_type, ext.width, ext.height), ("image/webp", 300, 250));
    }

    #[test]
    fn other_types_empty_oversize_and_broken_headers_are_refused() {
        assert_eq!(
            code(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            "unsupported_image_type"
        );
        assert_eq!(code(b"<html><script>alert(1)</script>"), "unsupported_image_type");
        assert_eq!(code(b"%PDF-1.7"), "unsupported_image_type");
        assert_eq!(code(b""), "image_required");
        let mut big = png(10, 10);
        big.resize(MAX_PROMO_IMAGE_BYTES + 1, 0);
        assert_eq!(code(&big), "image_too_large");
        let mut at_limit = png(10, 10);
        at_limit.resize(MAX_PROMO_IMAGE_BYTES, 0);
        assert!(inspect_promo_image(&at_limit).is_ok());
        assert_eq!(code(&png(0, 10)), "image_unreadable");
        assert_eq!(code(b"\x89PNG\r\n\x1a\n\0\0"), "image_unreadable");
        assert_eq!(code(&png(u32::MAX, 1)), "image_unreadable");
    }
}
