//! The terrain as a triangle grid in metres, Y up, shared by the glTF and USD writers.
//!
//! Vertex `(i, j)` of a `cols` x `rows` grid lies over world tile coordinate
//! `(i * (width - 1) / (cols - 1), j * (height - 1) / (rows - 1))` (corner to corner, as
//! `grid::Grid::resample`): X grows east, Z grows south (north is -Z, the glTF/USD/Godot
//! "forward"), Y is the height above the lowest possible ground. Vertex colours are the
//! tile classes' colours, converted from sRGB to linear (glTF `COLOR_0` and USD
//! `displayColor` are linear).

use super::grid::Grid;
use super::world::{World, HEIGHT_RANGE_M, TILE_M};

/// Tile class -> (sRGB, linear) colour; linear = sRGB transfer function inverted, rounded
/// to bytes (computed once, listed so no transcendental function runs at export time).
const PALETTE: [(&str, [u8; 3], [u8; 3]); 18] = [
    ("deep_water", [20, 50, 110], [2, 8, 40]),
    ("shallow_water", [40, 100, 160], [5, 32, 90]),
    ("beach", [220, 205, 150], [183, 156, 78]),
    ("grassland", [110, 160, 70], [40, 90, 16]),
    ("forest", [40, 110, 50], [5, 40, 8]),
    ("jungle", [30, 90, 40], [3, 26, 5]),
    ("savanna", [180, 170, 90], [116, 103, 26]),
    ("desert", [225, 195, 120], [192, 139, 48]),
    ("tundra", [150, 160, 140], [78, 90, 67]),
    ("taiga", [60, 100, 80], [12, 32, 20]),
    ("snow", [240, 240, 245], [222, 222, 233]),
    ("ice", [200, 225, 240], [147, 192, 222]),
    ("marsh", [90, 110, 70], [26, 40, 16]),
    ("hills", [130, 140, 90], [57, 67, 26]),
    ("mountain", [120, 110, 100], [48, 40, 32]),
    ("peak", [235, 235, 235], [212, 212, 212]),
    ("ash", [90, 85, 85], [26, 23, 23]),
    ("lava", [200, 60, 20], [147, 12, 2]),
];
/// Colour of a tile class this table does not know (a mid grey).
const UNKNOWN: ([u8; 3], [u8; 3]) = ([128, 128, 128], [55, 55, 55]);

/// (sRGB, linear) colour of a tile class by name.
pub fn tile_colour(name: &str) -> ([u8; 3], [u8; 3]) {
    PALETTE
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or(UNKNOWN, |(_, srgb, linear)| (*srgb, *linear))
}

pub struct TerrainMesh {
    pub cols: usize,
    pub rows: usize,
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    /// Linear RGB per vertex.
    pub colours: Vec<[u8; 3]>,
    pub min: [f32; 3],
    pub max: [f32; 3],
}

/// Index of the source sample nearest to output sample `i` of `n` over `src` samples.
fn nearest(i: usize, n: usize, src: usize) -> usize {
    if n <= 1 || src <= 1 {
        return 0;
    }
    ((i * (src - 1) * 2 + (n - 1)) / (2 * (n - 1))).min(src - 1)
}

fn spacing(src: usize, n: usize) -> f64 {
    if n <= 1 {
        return TILE_M;
    }
    (src.saturating_sub(1)) as f64 * TILE_M / (n - 1) as f64
}

impl TerrainMesh {
    /// The terrain at `cols` x `rows` vertices (each at least 2).
    pub fn build(world: &World, cols: usize, rows: usize) -> Self {
        let (w, h) = (world.width as usize, world.height as usize);
        let cols = cols.max(2);
        let rows = rows.max(2);
        let grid = Grid::from_heights(w, h, &world.heights).resample(cols, rows);
        let dx = spacing(w, cols);
        let dz = spacing(h, rows);
        let metres: Vec<f64> = grid
            .data
            .iter()
            .map(|v| f64::from(*v) * HEIGHT_RANGE_M / 65535.0)
            .collect();
        let at = |i: usize, j: usize| metres.get(j * cols + i).copied().unwrap_or(0.0);
        let colour_of: Vec<[u8; 3]> = world
            .tile_types
            .iter()
            .map(|name| tile_colour(name).1)
            .collect();
        let mut positions = Vec::with_capacity(cols * rows);
        let mut normals = Vec::with_capacity(cols * rows);
        let mut colours = Vec::with_capacity(cols * rows);
        let mut min = [f32::MAX; 3];
        let mut max = [f32::MIN; 3];
        for j in 0..rows {
            let ty = nearest(j, rows, h);
            for i in 0..cols {
                let y = at(i, j);
                let p = [(i as f64 * dx) as f32, y as f32, (j as f64 * dz) as f32];
                for k in 0..3 {
                    let v = p.get(k).copied().unwrap_or(0.0);
                    if let Some(m) = min.get_mut(k) {
                        *m = m.min(v);
                    }
                    if let Some(m) = max.get_mut(k) {
                        *m = m.max(v);
                    }
                }
                positions.push(p);
                // Central differences (one-sided at the edges).
                let (il, ir) = (i.saturating_sub(1), (i + 1).min(cols - 1));
                let (ju, jd) = (j.saturating_sub(1), (j + 1).min(rows - 1));
                let slope_x = (at(ir, j) - at(il, j)) / ((ir - il) as f64 * dx);
                let slope_z = (at(i, jd) - at(i, ju)) / ((jd - ju) as f64 * dz);
                let len = (slope_x * slope_x + 1.0 + slope_z * slope_z).sqrt();
                normals.push([
                    (-slope_x / len) as f32,
                    (1.0 / len) as f32,
                    (-slope_z / len) as f32,
                ]);
                let tx = nearest(i, cols, w);
                let tile = world.tiles.get(ty * w + tx).copied().unwrap_or(0);
                colours.push(colour_of.get(tile as usize).copied().unwrap_or(UNKNOWN.1));
            }
        }
        Self {
            cols,
            rows,
            positions,
            normals,
            colours,
            min,
            max,
        }
    }

    /// Two counter-clockwise (seen from +Y) triangles per grid cell.
    pub fn triangles(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity((self.cols - 1) * (self.rows - 1) * 6);
        for j in 0..self.rows - 1 {
            for i in 0..self.cols - 1 {
                let a = (j * self.cols + i) as u32;
                let b = a + self.cols as u32; // south of a
                out.extend_from_slice(&[a, b, a + 1, a + 1, b, b + 1]);
            }
        }
        out
    }

    /// One counter-clockwise (seen from +Y) quad per grid cell.
    pub fn quads(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity((self.cols - 1) * (self.rows - 1) * 4);
        for j in 0..self.rows - 1 {
            for i in 0..self.cols - 1 {
                let a = (j * self.cols + i) as u32;
                let b = a + self.cols as u32;
                out.extend_from_slice(&[a, b, b + 1, a + 1]);
            }
        }
        out
    }
}

/// Position of tile `(x, y)` in the mesh frame (metres; X east, Y up, Z south).
pub fn tile_position(world: &World, x: u32, y: u32) -> [f64; 3] {
    [
        f64::from(x) * TILE_M,
        world.height_m(x, y),
        f64::from(y) * TILE_M,
    ]
}
