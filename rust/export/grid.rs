//! 16-bit height grids: the document heights widened to 0..=65535, resampled to each
//! engine's valid sizes, and written as RAW/R16 bytes.
//!
//! Resampling maps corner to corner: sample `i` of `n` sits at source coordinate
//! `i * (src - 1) / (n - 1)`, so the four corners keep their exact values and every
//! engine's terrain spans the same ground. Interpolation is bilinear in 16.16 fixed point
//! (integers only), so the bytes are the same on every machine.

/// Row-major heights, row 0 first. Which edge row 0 is depends on the engine (north for
/// most; Unity wants south first, see `flipped_rows`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u16>,
}

/// Landscape sizes Unreal Engine's Landscape technical guide recommends (vertices per side).
pub const UE5_SIZES: [usize; 7] = [127, 253, 505, 1009, 2017, 4033, 8129];

impl Grid {
    /// Document heights 0..=255 widened exactly: `h * 257` maps 255 to 65535.
    pub fn from_heights(width: usize, height: usize, heights: &[u8]) -> Self {
        Self {
            width,
            height,
            data: heights.iter().map(|h| u16::from(*h) * 257).collect(),
        }
    }

    fn at(&self, x: usize, y: usize) -> u64 {
        self.data
            .get(y * self.width + x)
            .copied()
            .map_or(0, u64::from)
    }

    /// Bilinear resample to `width` x `height` samples (each at least 1), corners to corners.
    pub fn resample(&self, width: usize, height: usize) -> Self {
        let width = width.max(1);
        let height = height.max(1);
        if width == self.width && height == self.height {
            return self.clone();
        }
        let xs = axis(self.width, width);
        let ys = axis(self.height, height);
        let mut data = Vec::with_capacity(width * height);
        for (y0, y1, fy) in &ys {
            for (x0, x1, fx) in &xs {
                let top = self.at(*x0, *y0) * (65536 - fx) + self.at(*x1, *y0) * fx;
                let bottom = self.at(*x0, *y1) * (65536 - fx) + self.at(*x1, *y1) * fx;
                let value = (top * (65536 - fy) + bottom * fy + (1 << 31)) >> 32;
                data.push(value.min(65535) as u16);
            }
        }
        Self {
            width,
            height,
            data,
        }
    }

    /// The same grid with its rows in the opposite order.
    pub fn flipped_rows(&self) -> Self {
        let mut data = Vec::with_capacity(self.data.len());
        for row in self.data.chunks(self.width.max(1)).rev() {
            data.extend_from_slice(row);
        }
        Self {
            width: self.width,
            height: self.height,
            data,
        }
    }

    /// Little-endian u16 samples, no header (UE .r16, Unity RAW "Windows", CryEngine and
    /// s&box .r16, Terrain3D .r16).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() * 2);
        for v in &self.data {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    pub fn min_max(&self) -> (u16, u16) {
        let min = self.data.iter().copied().min().unwrap_or(0);
        let max = self.data.iter().copied().max().unwrap_or(0);
        (min, max)
    }
}

/// For each output sample: the two source indices around it and the weight of the second
/// (0..65536).
fn axis(src: usize, dst: usize) -> Vec<(usize, usize, u64)> {
    let last = src.saturating_sub(1);
    (0..dst)
        .map(|i| {
            if dst <= 1 || last == 0 {
                return (0, 0, 0);
            }
            let pos = (i as u64 * last as u64 * 65536) / (dst as u64 - 1);
            let x0 = ((pos >> 16) as usize).min(last);
            let x1 = (x0 + 1).min(last);
            (x0, x1, pos & 0xffff)
        })
        .collect()
}

/// The smallest UE recommended size that holds `side` samples (the largest if none does).
pub fn ue5_size(side: usize) -> usize {
    UE5_SIZES
        .iter()
        .copied()
        .find(|s| *s >= side)
        .unwrap_or(8129)
}

/// Unity's `heightmapResolution`: 2^n + 1 from 33 to 4097, the smallest that holds `side`.
pub fn unity_size(side: usize) -> usize {
    let mut n = 33;
    while n < side && n < 4097 {
        n = (n - 1) * 2 + 1;
    }
    n
}

/// A power of two from `min` to `max` that holds `side` (CryEngine, s&box).
pub fn pow2_size(side: usize, min: usize, max: usize) -> usize {
    let mut n = min.max(1);
    while n < side && n < max {
        n *= 2;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_each_engine_rule() {
        assert_eq!(ue5_size(16), 127);
        assert_eq!(ue5_size(505), 505);
        assert_eq!(ue5_size(512), 1009);
        assert_eq!(ue5_size(100_000), 8129);
        assert_eq!(unity_size(16), 33);
        assert_eq!(unity_size(64), 65);
        assert_eq!(unity_size(65), 65);
        assert_eq!(unity_size(512), 513);
        assert_eq!(unity_size(9000), 4097);
        assert_eq!(pow2_size(512, 256, 4096), 512);
        assert_eq!(pow2_size(513, 256, 4096), 1024);
        assert_eq!(pow2_size(16, 256, 4096), 256);
    }

    #[test]
    fn resampling_keeps_corners_and_stays_between_neighbours() {
        let heights: Vec<u8> = (0..64u32 * 48).map(|i| (i * 37 % 256) as u8).collect();
        let g = Grid::from_heights(64, 48, &heights);
        for (w, h) in [(127, 127), (33, 65), (64, 48), (1009, 505), (2, 2)] {
            let r = g.resample(w, h);
            assert_eq!(r.data.len(), w * h);
            assert_eq!(r.data[0], g.data[0]);
            assert_eq!(r.data[w - 1], g.data[63]);
            assert_eq!(r.data[(h - 1) * w], g.data[47 * 64]);
            assert_eq!(r.data[w * h - 1], g.data[64 * 48 - 1]);
            for j in 0..h {
                for i in 0..w {
                    let sx = i as f64 * 63.0 / (w - 1) as f64;
                    let sy = j as f64 * 47.0 / (h - 1) as f64;
                    let (x0, y0) = (sx.floor() as usize, sy.floor() as usize);
                    let (x1, y1) = ((x0 + 1).min(63), (y0 + 1).min(47));
                    let around = [
                        g.data[y0 * 64 + x0],
                        g.data[y0 * 64 + x1],
                        g.data[y1 * 64 + x0],
                        g.data[y1 * 64 + x1],
                    ];
                    let v = r.data[j * w + i];
                    assert!(
                        v >= *around.iter().min().unwrap() && v <= *around.iter().max().unwrap()
                    );
                }
            }
        }
    }

    #[test]
    fn widening_is_exact_and_flip_reverses_rows() {
        let g = Grid::from_heights(2, 2, &[0, 1, 128, 255]);
        assert_eq!(g.data, vec![0, 257, 32896, 65535]);
        assert_eq!(g.flipped_rows().data, vec![32896, 65535, 0, 257]);
        assert_eq!(g.to_le_bytes(), vec![0, 0, 1, 1, 128, 128, 255, 255]);
    }

    #[test]
    fn tiny_grids_do_not_panic() {
        let g = Grid::from_heights(1, 1, &[9]);
        assert_eq!(g.resample(3, 3).data, vec![9 * 257; 9]);
        let empty = Grid {
            width: 0,
            height: 0,
            data: vec![],
        };
        assert_eq!(empty.resample(2, 2).data, vec![0; 4]);
    }
}
