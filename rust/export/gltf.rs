//! glTF 2.0 binary (`.glb`) writer for the terrain and its markers (Khronos glTF 2.0
//! specification, "Binary glTF Layout").
//!
//! One buffer (the BIN chunk) holds four tightly packed views: POSITION (VEC3 float, with
//! the min/max the spec requires), NORMAL (VEC3 float, unit length), COLOR_0 (VEC4
//! normalized unsigned byte, linear RGB, alpha 255) and the indices (unsigned int).
//! Every view starts on a 4-byte boundary and the chunks are padded to 4 bytes (JSON with
//! spaces, BIN with zeros). Units are metres, +Y up, north is -Z; the scene's root node
//! holds the terrain, then `POIs` and `NPCs` groups whose children carry the document's
//! data in `extras` (Blender: custom properties; three.js: `userData`).

use serde_json::{json, Map, Value};

use super::mesh::{tile_position, TerrainMesh};
use super::world::World;

const ARRAY_BUFFER: u32 = 34962;
const ELEMENT_ARRAY_BUFFER: u32 = 34963;
const FLOAT: u32 = 5126;
const UNSIGNED_BYTE: u32 = 5121;
const UNSIGNED_INT: u32 = 5125;

/// The generator string every file carries.
pub const GENERATOR: &str = "pacai export";

fn pad4(buf: &mut Vec<u8>, byte: u8) {
    while buf.len() % 4 != 0 {
        buf.push(byte);
    }
}

/// A float as the exact double of its f32 value, so a reader comparing accessor bounds
/// in either precision finds them equal.
fn num(v: f32) -> Value {
    json!(f64::from(v))
}

fn metres(v: f64) -> Value {
    // Millimetres are plenty for marker positions and keep the JSON short.
    json!((v * 1000.0).round() / 1000.0)
}

fn poi_node(world: &World, poi: &super::world::Poi) -> Value {
    let p = tile_position(world, poi.x, poi.y);
    json!({
        "name": poi.name,
        "translation": [metres(p[0]), metres(p[1]), metres(p[2])],
        "extras": {
            "pacai_type": "poi",
            "id": poi.id,
            "kind": poi.kind,
            "faction": poi.faction,
            "tile": [poi.x, poi.y],
        },
    })
}

fn npc_node(world: &World, npc: &super::world::Npc) -> Value {
    let p = tile_position(world, npc.x, npc.y);
    json!({
        "name": format!("{} {}", npc.kind, npc.id),
        "translation": [metres(p[0]), metres(p[1]), metres(p[2])],
        "extras": {
            "pacai_type": "npc",
            "id": npc.id,
            "type": npc.kind,
            "faction": npc.faction,
            "tile": [npc.x, npc.y],
            "level": npc.level,
            "health": npc.health,
            "attack": npc.attack,
            "defense": npc.defense,
            "speed": npc.speed,
            "aggression": f64::from(npc.aggression_milli) / 1000.0,
            "behaviour": npc.mode,
            "home_tile": [npc.home_x, npc.home_y],
            "radius_tiles": npc.radius,
        },
    })
}

/// The `.glb` bytes of the world's terrain at full resolution (one vertex per tile), with
/// marker nodes for every POI and NPC when `markers` is set.
pub fn glb(world: &World, markers: bool) -> Vec<u8> {
    let mesh = TerrainMesh::build(world, world.width as usize, world.height as usize);
    let indices = mesh.triangles();
    let count = mesh.positions.len();

    let mut bin = Vec::with_capacity(count * 28 + indices.len() * 4);
    let positions_at = bin.len();
    for p in &mesh.positions {
        for c in p {
            bin.extend_from_slice(&c.to_le_bytes());
        }
    }
    let normals_at = bin.len();
    for n in &mesh.normals {
        for c in n {
            bin.extend_from_slice(&c.to_le_bytes());
        }
    }
    let colours_at = bin.len();
    for c in &mesh.colours {
        bin.extend_from_slice(c);
        bin.push(255);
    }
    let indices_at = bin.len();
    for i in &indices {
        bin.extend_from_slice(&i.to_le_bytes());
    }
    let bin_len = bin.len();
    pad4(&mut bin, 0);

    let view = |offset: usize, length: usize, target: u32, stride: Option<usize>| {
        let mut v = Map::new();
        v.insert("buffer".into(), json!(0));
        v.insert("byteOffset".into(), json!(offset));
        v.insert("byteLength".into(), json!(length));
        v.insert("target".into(), json!(target));
        if let Some(s) = stride {
            v.insert("byteStride".into(), json!(s));
        }
        Value::Object(v)
    };
    let mut pois: Vec<Value> = Vec::new();
    let mut npcs: Vec<Value> = Vec::new();
    let first_marker = 4;
    if markers {
        for poi in &world.pois {
            pois.push(poi_node(world, poi));
        }
        for npc in &world.npcs {
            npcs.push(npc_node(world, npc));
        }
    }
    let poi_ids: Vec<usize> = (first_marker..first_marker + pois.len()).collect();
    let npc_ids: Vec<usize> =
        (first_marker + pois.len()..first_marker + pois.len() + npcs.len()).collect();
    let group = |name: &str, ids: Vec<usize>| {
        let mut g = Map::new();
        g.insert("name".into(), json!(name));
        if !ids.is_empty() {
            g.insert("children".into(), json!(ids));
        }
        Value::Object(g)
    };
    let poi_group = group("POIs", poi_ids);
    let npc_group = group("NPCs", npc_ids);
    let mut nodes = vec![
        json!({
            "name": "PacaiWorld",
            "children": if markers { json!([1, 2, 3]) } else { json!([1]) },
            "extras": {
                "pacai_type": "world",
                "seed": world.seed,
                "biome": world.biome,
                "width_tiles": world.width,
                "height_tiles": world.height,
                "tile_size_m": super::world::TILE_M,
                "height_step_m": super::world::HEIGHT_STEP_M,
                "sea_level_m": f64::from(world.sea_level) * super::world::HEIGHT_STEP_M,
            },
        }),
        json!({"name": "Terrain", "mesh": 0}),
    ];
    if markers {
        nodes.push(poi_group);
        nodes.push(npc_group);
    }
    nodes.extend(pois);
    nodes.extend(npcs);

    let doc = json!({
        "asset": {"version": "2.0", "generator": GENERATOR},
        "scene": 0,
        "scenes": [{"name": "PacaiWorld", "nodes": [0]}],
        "nodes": nodes,
        "meshes": [{
            "name": "Terrain",
            "primitives": [{
                "attributes": {"POSITION": 0, "NORMAL": 1, "COLOR_0": 2},
                "indices": 3,
                "material": 0,
                "mode": 4,
            }],
        }],
        "materials": [{
            "name": "TerrainVertexColour",
            "pbrMetallicRoughness": {
                "baseColorFactor": [1.0, 1.0, 1.0, 1.0],
                "metallicFactor": 0.0,
                "roughnessFactor": 1.0,
            },
        }],
        "buffers": [{"byteLength": bin.len()}],
        "bufferViews": [
            view(positions_at, normals_at - positions_at, ARRAY_BUFFER, Some(12)),
            view(normals_at, colours_at - normals_at, ARRAY_BUFFER, Some(12)),
            view(colours_at, indices_at - colours_at, ARRAY_BUFFER, Some(4)),
            view(indices_at, bin_len - indices_at, ELEMENT_ARRAY_BUFFER, None),
        ],
        "accessors": [
            {
                "bufferView": 0, "componentType": FLOAT, "count": count, "type": "VEC3",
                "min": [num(mesh.min[0]), num(mesh.min[1]), num(mesh.min[2])],
                "max": [num(mesh.max[0]), num(mesh.max[1]), num(mesh.max[2])],
            },
            {"bufferView": 1, "componentType": FLOAT, "count": count, "type": "VEC3"},
            {
                "bufferView": 2, "componentType": UNSIGNED_BYTE, "normalized": true,
                "count": count, "type": "VEC4",
            },
            {
                "bufferView": 3, "componentType": UNSIGNED_INT, "count": indices.len(),
                "type": "SCALAR",
            },
        ],
    });
    let mut json_bytes = serde_json::to_vec(&doc).unwrap_or_default();
    pad4(&mut json_bytes, b' ');

    let total = 12 + 8 + json_bytes.len() + 8 + bin.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(json_bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json_bytes);
    out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}
