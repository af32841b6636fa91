//! A small PNG encoder (ISO/IEC 15948): 16-bit grayscale heightmaps and 8-bit RGB
//! colormaps, non-interlaced, zlib from the pinned `miniz_oxide`.
//!
//! Each row gets the filter (of the five) with the smallest sum of absolute filtered
//! bytes, the usual PNG heuristic; the choice depends only on the pixels, so the output
//! is deterministic.

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
/// zlib level 1 (greedy matching): on a 1009x1009 heightmap about 5x faster than level 6
/// for a file 5% larger.
const LEVEL: u8 = 1;

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let pa = (p - i16::from(a)).abs();
    let pb = (p - i16::from(b)).abs();
    let pc = (p - i16::from(c)).abs();
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// Filters one scanline with filter `kind` (0..=4) into `out` (without the type byte).
fn filter_row(kind: u8, row: &[u8], prev: &[u8], bpp: usize, out: &mut Vec<u8>) {
    out.clear();
    for (i, x) in row.iter().enumerate() {
        let a = if i >= bpp {
            row.get(i - bpp).copied().unwrap_or(0)
        } else {
            0
        };
        let b = prev.get(i).copied().unwrap_or(0);
        let c = if i >= bpp {
            prev.get(i - bpp).copied().unwrap_or(0)
        } else {
            0
        };
        let predicted = match kind {
            1 => a,
            2 => b,
            3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
            4 => paeth(a, b, c),
            _ => 0,
        };
        out.push(x.wrapping_sub(predicted));
    }
}

fn score(filtered: &[u8]) -> u64 {
    filtered
        .iter()
        .map(|b| u64::from((*b as i8).unsigned_abs()))
        .sum()
}

/// Encodes raw scanlines (`height` rows of `row_bytes`) as a PNG with the given IHDR
/// bit depth and colour type.
fn encode(
    width: u32,
    height: u32,
    bit_depth: u8,
    color_type: u8,
    bpp: usize,
    pixels: &[u8],
) -> Vec<u8> {
    let row_bytes = pixels.len() / height.max(1) as usize;
    let mut raw = Vec::with_capacity(pixels.len() + height as usize);
    let zero = vec![0u8; row_bytes];
    let mut prev: &[u8] = &zero;
    let mut best = Vec::with_capacity(row_bytes);
    let mut trial = Vec::with_capacity(row_bytes);
    for row in pixels.chunks(row_bytes.max(1)) {
        let mut best_kind = 0u8;
        let mut best_score = u64::MAX;
        for kind in 0..5u8 {
            filter_row(kind, row, prev, bpp, &mut trial);
            let s = score(&trial);
            if s < best_score {
                best_score = s;
                best_kind = kind;
                std::mem::swap(&mut best, &mut trial);
            }
        }
        raw.push(best_kind);
        raw.extend_from_slice(&best);
        prev = row;
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, color_type, 0, 0, 0]);
    let idat = miniz_oxide::deflate::compress_to_vec_zlib(&raw, LEVEL);
    let mut out = Vec::with_capacity(idat.len() + 64);
    out.extend_from_slice(&SIGNATURE);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// 16-bit grayscale PNG (colour type 0, big-endian samples as PNG requires); row 0 is the
/// top of the image.
pub fn gray16(width: usize, height: usize, samples: &[u16]) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(samples.len() * 2);
    for v in samples.iter().take(width * height) {
        pixels.extend_from_slice(&v.to_be_bytes());
    }
    pixels.resize(width * height * 2, 0);
    encode(width as u32, height as u32, 16, 0, 2, &pixels)
}

/// 8-bit RGB PNG (colour type 2), `rgb` holding three bytes per pixel.
pub fn rgb8(width: usize, height: usize, rgb: &[u8]) -> Vec<u8> {
    let mut pixels: Vec<u8> = rgb.iter().take(width * height * 3).copied().collect();
    pixels.resize(width * height * 3, 0);
    encode(width as u32, height as u32, 8, 2, 3, &pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_chunks_are_well_formed() {
        let png = gray16(3, 2, &[0, 1, 65535, 256, 2, 3]);
        assert_eq!(&png[..8], &SIGNATURE);
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 3);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 2);
        assert_eq!(&png[24..26], &[16, 0]);
        assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
    }

    #[test]
    fn idat_inflates_back_to_the_samples() {
        let samples: Vec<u16> = (0..40u16 * 30).map(|i| i.wrapping_mul(977)).collect();
        let png = gray16(40, 30, &samples);
        // IDAT starts after the signature (8) and IHDR (25).
        let len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&png[41..41 + len]).unwrap();
        // Undo the filters.
        let row_bytes = 80;
        let mut prev = vec![0u8; row_bytes];
        let mut decoded = Vec::new();
        for line in raw.chunks(row_bytes + 1) {
            let kind = line[0];
            let mut row = vec![0u8; row_bytes];
            for i in 0..row_bytes {
                let a = if i >= 2 { row[i - 2] } else { 0 };
                let b = prev[i];
                let c = if i >= 2 { prev[i - 2] } else { 0 };
                let p = match kind {
                    1 => a,
                    2 => b,
                    3 => ((a as u16 + b as u16) / 2) as u8,
                    4 => paeth(a, b, c),
                    _ => 0,
                };
                row[i] = line[1 + i].wrapping_add(p);
            }
            decoded.extend_from_slice(&row);
            prev = row;
        }
        let back: Vec<u16> = decoded
            .chunks(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect();
        assert_eq!(back, samples);
    }
}
