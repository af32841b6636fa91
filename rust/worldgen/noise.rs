//! Fixed-point gradient noise (2-D Perlin-style) with octaves.
//!
//! Everything is integer arithmetic on `i64` in Q16 fixed point (`ONE` = 65 536), so
//! the result is bit-identical on every platform. The exact algorithm, which
//! `benches/worldgen_py_baseline.py` re-implements in Python and a test compares:
//!
//! For one octave with integer wavelength `L` (tiles per lattice cell), offset `(ox, oy)`
//! and lattice key `k`, tile `(x, y)` is sampled at its centre:
//! `px = 2 * (x + ox) + 1`, `cx = px / (2L)`, `fx = ((px % (2L)) << 16) / (2L)` (same for
//! y). The corner `(i, j)` gets gradient `GRADIENTS[lattice_hash(k, i, j) >> 61]`; its
//! contribution is `gx * dx + gy * dy` with `(dx, dy)` the Q16 offset from that corner.
//! Contributions are blended with the quintic fade `6t^5 - 15t^4 + 10t^3`, each product
//! shifted right by 16 (arithmetic shift, i.e. floor), first along x then along y.
//! The octave sum adds `noise * (4096 >> o) >> 12` for octave `o`, wavelength halving
//! each octave (never below 2).

pub const ONE: i64 = 1 << 16;

const GRADIENTS: [(i64, i64); 8] = [
    (1, 1),
    (-1, 1),
    (1, -1),
    (-1, -1),
    (1, 0),
    (-1, 0),
    (0, 1),
    (0, -1),
];

/// A keyed integer hash of a lattice point: multiply-xor, then MurmurHash3's fmix64.
#[inline]
pub fn lattice_hash(key: u64, ix: i64, iy: i64) -> u64 {
    let mut h = key
        ^ (ix as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (iy as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^= h >> 33;
    h
}

#[inline]
fn gradient(key: u64, ix: i64, iy: i64) -> (i64, i64) {
    let index = (lattice_hash(key, ix, iy) >> 61) as usize;
    GRADIENTS.get(index).copied().unwrap_or((1, 0))
}

/// Quintic fade of `t` in `0..=ONE`.
#[inline]
pub fn fade(t: i64) -> i64 {
    let t2 = (t * t) >> 16;
    let t3 = (t2 * t) >> 16;
    let inner = ((t * (6 * t - 15 * ONE)) >> 16) + 10 * ONE;
    (t3 * inner) >> 16
}

#[inline]
fn lerp(a: i64, b: i64, t: i64) -> i64 {
    a + (((b - a) * t) >> 16)
}

/// One octave's parameters.
#[derive(Clone, Copy, Debug)]
pub struct Octave {
    pub key: u64,
    pub wavelength: i64,
    pub offset_x: i64,
    pub offset_y: i64,
    pub amplitude: i64,
}

/// Cell index and Q16 fraction of a tile coordinate along one axis.
#[inline]
fn cell(coord: i64, offset: i64, wavelength: i64) -> (i64, i64) {
    let p = 2 * (coord + offset) + 1;
    let span = 2 * wavelength;
    (p / span, ((p % span) << 16) / span)
}

/// Adds `octave`'s noise for every tile of a `width` x `height` grid into `out`
/// (row-major). Corner gradients are reused along a row while the cell does not change.
pub fn add_octave(out: &mut [i64], width: usize, octave: &Octave) {
    let amp = octave.amplitude;
    let wl = octave.wavelength.max(1);
    for (y, row) in out.chunks_mut(width.max(1)).enumerate() {
        let (cy, fy) = cell(y as i64, octave.offset_y, wl);
        let v = fade(fy);
        let mut cached_cx = i64::MIN;
        let mut grads = [(0i64, 0i64); 4];
        for (x, slot) in row.iter_mut().enumerate() {
            let (cx, fx) = cell(x as i64, octave.offset_x, wl);
            if cx != cached_cx {
                grads = [
                    gradient(octave.key, cx, cy),
                    gradient(octave.key, cx + 1, cy),
                    gradient(octave.key, cx, cy + 1),
                    gradient(octave.key, cx + 1, cy + 1),
                ];
                cached_cx = cx;
            }
            let [g00, g10, g01, g11] = grads;
            let n00 = g00.0 * fx + g00.1 * fy;
            let n10 = g10.0 * (fx - ONE) + g10.1 * fy;
            let n01 = g01.0 * fx + g01.1 * (fy - ONE);
            let n11 = g11.0 * (fx - ONE) + g11.1 * (fy - ONE);
            let u = fade(fx);
            let nx0 = lerp(n00, n10, u);
            let nx1 = lerp(n01, n11, u);
            *slot += (lerp(nx0, nx1, v) * amp) >> 12;
        }
    }
}

/// Builds the octave list: wavelength halves each octave (stopping at 2), amplitude halves.
/// Keys and offsets come from `draw`, two words per octave in a fixed order.
pub fn octaves(base_wavelength: i64, count: u32, mut draw: impl FnMut() -> u64) -> Vec<Octave> {
    let mut list = Vec::new();
    let mut wavelength = base_wavelength.max(2);
    for o in 0..count {
        let key = draw();
        let offsets = draw();
        list.push(Octave {
            key,
            wavelength,
            offset_x: (offsets & 0xFFFF) as i64,
            offset_y: ((offsets >> 16) & 0xFFFF) as i64,
            amplitude: 4096 >> o,
        });
        if wavelength <= 2 {
            break;
        }
        wavelength /= 2;
    }
    list
}

/// The octave sum over a grid.
pub fn fbm(width: usize, height: usize, octaves: &[Octave]) -> Vec<i64> {
    let mut out = vec![0i64; width * height];
    for octave in octaves {
        add_octave(&mut out, width, octave);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fade_endpoints_and_midpoint() {
        assert_eq!(fade(0), 0);
        assert_eq!(fade(ONE), ONE);
        assert_eq!(fade(ONE / 2), ONE / 2);
    }

    #[test]
    fn noise_is_bounded_and_varies() {
        let oct = octaves(16, 4, {
            let mut n = 0u64;
            move || {
                n += 1;
                lattice_hash(42, n as i64, 0)
            }
        });
        let grid = fbm(64, 64, &oct);
        let min = *grid.iter().min().unwrap();
        let max = *grid.iter().max().unwrap();
        assert!(min < 0 && max > 0, "{min} {max}");
        assert!(grid.iter().all(|v| v.abs() <= 4 * ONE));
    }

    #[test]
    fn octave_list_stops_at_wavelength_two() {
        let oct = octaves(8, 10, || 0);
        let wl: Vec<i64> = oct.iter().map(|o| o.wavelength).collect();
        assert_eq!(wl, vec![8, 4, 2]);
        assert_eq!(oct[1].amplitude, 2048);
    }
}
