//! USD for visionOS: a text (`usda`) layer with the terrain as a `UsdGeomMesh` and one
//! `Xform` per POI and NPC, packaged as USDZ (OpenUSD "Usdz File Format Specification":
//! a ZIP, stored without compression, each file's data 64-byte aligned, the first file
//! the default layer).
//!
//! Metres, +Y up (`metersPerUnit = 1`, `upAxis = "Y"`, as RealityKit uses), north is -Z.
//! The terrain is resampled to at most `MAX_USD_SIDE` vertices per side: a USDZ is
//! loaded whole on a headset, and 257 x 257 keeps the layer near 5 MB.

use std::fmt::Write as _;

use super::errors::ExportError;
use super::mesh::{tile_position, TerrainMesh};
use super::world::World;
use super::zip;

pub const MAX_USD_SIDE: usize = 257;
/// Name of the default layer inside the package.
pub const ROOT_LAYER: &str = "world.usda";

/// A USD string literal (double quotes; backslash, quote and control characters escaped).
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn push_vec3s(out: &mut String, values: &[[f32; 3]]) {
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "({}, {}, {})", v[0], v[1], v[2]);
    }
    out.push(']');
}

fn push_ints(out: &mut String, values: impl Iterator<Item = u32>) {
    out.push('[');
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{v}");
    }
    out.push(']');
}

fn metres(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn marker(out: &mut String, prim: &str, pos: [f64; 3], attrs: &[(&str, String)]) {
    let _ = writeln!(out, "        def Xform \"{prim}\"");
    out.push_str("        {\n");
    for (name, value) in attrs {
        let _ = writeln!(
            out,
            "            custom string pacai:{name} = {}",
            quote(value)
        );
    }
    let _ = writeln!(
        out,
        "            double3 xformOp:translate = ({}, {}, {})",
        metres(pos[0]),
        metres(pos[1]),
        metres(pos[2])
    );
    out.push_str("            uniform token[] xformOpOrder = [\"xformOp:translate\"]\n");
    out.push_str("        }\n");
}

/// Number of mesh vertices per side for a world side.
pub fn usd_side(side: u32) -> usize {
    (side as usize).clamp(2, MAX_USD_SIDE)
}

/// The `usda` text of the world.
pub fn usda(world: &World) -> String {
    let mesh = TerrainMesh::build(world, usd_side(world.width), usd_side(world.height));
    let quads = mesh.quads();
    let mut out = String::with_capacity(mesh.positions.len() * 100);
    out.push_str("#usda 1.0\n(\n    defaultPrim = \"World\"\n");
    let _ = writeln!(
        out,
        "    doc = {}",
        quote(&format!(
            "pacai world, seed {}, {}x{} tiles of {} m",
            world.seed,
            world.width,
            world.height,
            super::world::TILE_M
        ))
    );
    out.push_str("    metersPerUnit = 1\n    upAxis = \"Y\"\n)\n\n");
    out.push_str("def Xform \"World\"\n{\n");
    out.push_str("    def Mesh \"Terrain\"\n    {\n");
    let _ = writeln!(
        out,
        "        float3[] extent = [({}, {}, {}), ({}, {}, {})]",
        mesh.min[0], mesh.min[1], mesh.min[2], mesh.max[0], mesh.max[1], mesh.max[2]
    );
    out.push_str("        int[] faceVertexCounts = ");
    push_ints(&mut out, std::iter::repeat_n(4, quads.len() / 4));
    out.push_str("\n        int[] faceVertexIndices = ");
    push_ints(&mut out, quads.iter().copied());
    out.push_str("\n        normal3f[] normals = ");
    push_vec3s(&mut out, &mesh.normals);
    out.push_str(" (\n            interpolation = \"vertex\"\n        )\n");
    out.push_str("        point3f[] points = ");
    push_vec3s(&mut out, &mesh.positions);
    out.push_str("\n        color3f[] primvars:displayColor = [");
    for (i, c) in mesh.colours.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(
            out,
            "({}, {}, {})",
            f32::from(c[0]) / 255.0,
            f32::from(c[1]) / 255.0,
            f32::from(c[2]) / 255.0
        );
    }
    out.push_str("] (\n            interpolation = \"vertex\"\n        )\n");
    out.push_str("        uniform token subdivisionScheme = \"none\"\n    }\n\n");

    out.push_str("    def Scope \"POIs\"\n    {\n");
    for (i, poi) in world.pois.iter().enumerate() {
        let attrs = [
            ("id", poi.id.clone()),
            ("name", poi.name.clone()),
            ("kind", poi.kind.clone()),
            ("faction", poi.faction.clone().unwrap_or_default()),
        ];
        marker(
            &mut out,
            &format!("POI_{i:04}"),
            tile_position(world, poi.x, poi.y),
            &attrs,
        );
    }
    out.push_str("    }\n\n    def Scope \"NPCs\"\n    {\n");
    for (i, npc) in world.npcs.iter().enumerate() {
        let attrs = [
            ("id", npc.id.clone()),
            ("type", npc.kind.clone()),
            ("faction", npc.faction.clone()),
            ("behaviour", npc.mode.clone()),
        ];
        marker(
            &mut out,
            &format!("NPC_{i:04}"),
            tile_position(world, npc.x, npc.y),
            &attrs,
        );
    }
    out.push_str("    }\n}\n");
    out
}

/// The USDZ package: `world.usda` alone, stored, 64-byte aligned.
pub fn usdz(world: &World) -> Result<Vec<u8>, ExportError> {
    let layer = usda(world);
    zip::write(
        &[(ROOT_LAYER, layer.as_bytes())],
        zip::Method::Stored { align: 64 },
    )
}
