//! The nine engine targets (CONTRACT §9.1): what each bundle holds and how each file is
//! made. `docs/exports.md` documents every file and how to import it.
//!
//! Frames, all built from the document's tile `(x, y)` (x east, y south, row 0 north)
//! and its height `h` (0..255):
//! - metres: one tile is `TILE_M` (2 m) and one height step `HEIGHT_STEP_M` (0.25 m);
//! - glTF/Godot/USD/Blender(after import)/three.js: X east, Y up, Z south;
//! - Unity: X east, Y up, Z north (left-handed), metres;
//! - Unreal: X east, Y south, Z up (left-handed), centimetres;
//! - Roblox: X east, Y up, Z south, 2 studs per metre (a tile is one 4-stud voxel);
//! - CryEngine: X east, Y north, Z up, metres;
//! - Source (VMF): X east, Y north, Z up, 32 units per metre (a tile is 64 units, the
//!   Hammer grid), centred on the origin so a 512-tile map spans Hammer's ±16384.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::grid::{self, Grid};
use super::text::{self, milli};
use super::world::{World, HEIGHT_RANGE_M, HEIGHT_STEP_M, TILE_M};
use super::{gltf, png, usd, ExportError};

/// Version of the files' layout, per engine: changes whenever a bundle's files change.
pub const FORMAT_VERSION: &str = "1";

/// One export target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engine {
    pub id: &'static str,
    pub name: &'static str,
    pub format_version: &'static str,
    /// The paths its bundles hold besides the common files, in bundle order.
    pub files: &'static [&'static str],
}

pub const ENGINES: [Engine; 9] = [
    Engine {
        id: "ue5",
        name: "Unreal Engine 5",
        format_version: FORMAT_VERSION,
        files: &[
            "ue5/Heightmap.png",
            "ue5/heightmap.json",
            "ue5/POIs.csv",
            "ue5/NPCs.csv",
            "ue5/Factions.csv",
            "ue5/PacaiRows.h",
            "ue5/import_pacai.py",
        ],
    },
    Engine {
        id: "unity",
        name: "Unity",
        format_version: FORMAT_VERSION,
        files: &[
            "unity/heightmap.raw",
            "unity/heightmap.json",
            "unity/pacai_world.json",
            "unity/Editor/PacaiImporter.cs",
        ],
    },
    Engine {
        id: "godot",
        name: "Godot 4",
        format_version: FORMAT_VERSION,
        files: &[
            "godot/world.tscn",
            "godot/terrain.glb",
            "godot/heightmap.r16",
            "godot/heightmap.json",
            "godot/pacai_collision.gd",
        ],
    },
    Engine {
        id: "roblox",
        name: "Roblox",
        format_version: FORMAT_VERSION,
        files: &[
            "roblox/heightmap.png",
            "roblox/colormap.png",
            "roblox/heightmap.json",
            "roblox/PacaiWorld.rbxmx",
            "roblox/PacaiData.luau",
        ],
    },
    Engine {
        id: "blender",
        name: "Blender",
        format_version: FORMAT_VERSION,
        files: &["blender/terrain.glb", "blender/import_pacai.py"],
    },
    Engine {
        id: "cryengine",
        name: "CRYENGINE",
        format_version: FORMAT_VERSION,
        files: &[
            "cryengine/heightmap.r16",
            "cryengine/heightmap.json",
            "cryengine/objects.grp",
        ],
    },
    Engine {
        id: "source2",
        name: "Source 2",
        format_version: FORMAT_VERSION,
        files: &[
            "source2/heightmap.r16",
            "source2/heightmap.json",
            "source2/entities.vmf",
            "source2/pacai_world.kv3",
        ],
    },
    Engine {
        id: "webgpu",
        name: "WebGPU (three.js, Babylon.js)",
        format_version: FORMAT_VERSION,
        files: &[
            "webgpu/terrain.glb",
            "webgpu/heightmap.png",
            "webgpu/heightmap.json",
        ],
    },
    Engine {
        id: "visionos",
        name: "visionOS (RealityKit)",
        format_version: FORMAT_VERSION,
        files: &["visionos/world.usdz"],
    },
];

pub fn engine(id: &str) -> Result<&'static Engine, ExportError> {
    ENGINES
        .iter()
        .find(|e| e.id == id)
        .ok_or_else(|| ExportError::UnknownEngine(id.chars().take(64).collect()))
}

/// Builds every file of `engine`'s bundle, in `Engine::files` order.
pub fn files(world: &World, engine: &Engine) -> Result<Vec<(String, Vec<u8>)>, ExportError> {
    let files = match engine.id {
        "ue5" => ue5(world),
        "unity" => unity(world),
        "godot" => godot(world),
        "roblox" => roblox(world),
        "blender" => blender(world),
        "cryengine" => cryengine(world),
        "source2" => source2(world),
        "webgpu" => webgpu(world),
        "visionos" => vec![("visionos/world.usdz".to_owned(), usd::usdz(world)?)],
        other => return Err(ExportError::UnknownEngine(other.to_owned())),
    };
    Ok(files)
}

fn file(path: &str, data: impl Into<Vec<u8>>) -> (String, Vec<u8>) {
    (path.to_owned(), data.into())
}

// ---------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------

fn base_grid(world: &World) -> Grid {
    Grid::from_heights(world.width as usize, world.height as usize, &world.heights)
}

/// Metres between neighbouring samples when `samples` span `tiles` tiles corner to corner.
fn cell_m(tiles: u32, samples: usize) -> f64 {
    if samples <= 1 {
        return TILE_M;
    }
    f64::from(tiles.saturating_sub(1)) * TILE_M / (samples - 1) as f64
}

struct HeightmapMeta<'a> {
    file: &'a str,
    format: &'a str,
    grid: &'a Grid,
    /// "north_first" or "south_first".
    row_order: &'a str,
    cell_x_m: f64,
    cell_z_m: f64,
    /// Engine settings to type into its importer.
    engine: Value,
}

/// The sidecar every RAW/R16/PNG heightmap gets: RAW has no header, so these numbers are
/// what an engine's import dialog asks for.
fn heightmap_json(world: &World, meta: &HeightmapMeta<'_>) -> Vec<u8> {
    let (min, max) = meta.grid.min_max();
    let byte_order = if meta.format == "png16" {
        "big"
    } else {
        "little"
    };
    text::json_pretty(&json!({
        "file": meta.file,
        "format": meta.format,
        "byte_order": byte_order,
        "sample_type": "uint16",
        "width": meta.grid.width,
        "height": meta.grid.height,
        "row_order": meta.row_order,
        "value_0_m": 0.0,
        "value_65535_m": HEIGHT_RANGE_M,
        "min_value": min,
        "max_value": max,
        "cell_size_m": [milli(meta.cell_x_m), milli(meta.cell_z_m)],
        "world_tiles": [world.width, world.height],
        "tile_size_m": TILE_M,
        "height_step_m": HEIGHT_STEP_M,
        "sea_level_m": f64::from(world.sea_level) * HEIGHT_STEP_M,
        "engine": meta.engine,
    }))
}

fn faction_values(world: &World) -> Vec<Value> {
    world
        .factions
        .iter()
        .map(|f| {
            json!({
                "id": f.id, "name": f.name, "stance": f.stance,
                "strength": f.strength, "home_poi": f.home_poi,
            })
        })
        .collect()
}

/// The world's data with positions in an engine's frame (`pos` maps a tile to it).
fn data_value(world: &World, units: &str, pos: &dyn Fn(u32, u32) -> [f64; 3]) -> Value {
    let v3 = |p: [f64; 3]| json!({"x": milli(p[0]), "y": milli(p[1]), "z": milli(p[2])});
    let pois: Vec<Value> = world
        .pois
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "name": p.name, "kind": p.kind, "faction": p.faction,
                "tile_x": p.x, "tile_y": p.y, "position": v3(pos(p.x, p.y)),
            })
        })
        .collect();
    let npcs: Vec<Value> = world
        .npcs
        .iter()
        .map(|n| {
            json!({
                "id": n.id, "type": n.kind, "faction": n.faction,
                "tile_x": n.x, "tile_y": n.y, "position": v3(pos(n.x, n.y)),
                "level": n.level, "health": n.health, "attack": n.attack,
                "defense": n.defense, "speed": n.speed,
                "aggression": f64::from(n.aggression_milli) / 1000.0,
                "behaviour": n.mode, "home_position": v3(pos(n.home_x, n.home_y)),
                "radius_tiles": n.radius,
            })
        })
        .collect();
    json!({
        "seed": world.seed,
        "biome": world.biome,
        "units": units,
        "width_tiles": world.width,
        "height_tiles": world.height,
        "tile_size_m": TILE_M,
        "height_step_m": HEIGHT_STEP_M,
        "sea_level_m": f64::from(world.sea_level) * HEIGHT_STEP_M,
        "weather": world.weather,
        "weather_intensity": f64::from(world.weather_intensity_milli) / 1000.0,
        "hour": world.hour,
        "pois": pois,
        "npcs": npcs,
        "factions": faction_values(world),
    })
}

/// A stable GUID-shaped id for `what` (CryEngine objects need one).
fn guid(what: &str) -> String {
    let d = Sha256::digest(what.as_bytes());
    let h = hex::encode(d);
    let part = |a: usize, b: usize| h.get(a..b).unwrap_or("0").to_ascii_uppercase();
    format!(
        "{{{}-{}-{}-{}-{}}}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

// ---------------------------------------------------------------------------------------
// Unreal Engine 5
// ---------------------------------------------------------------------------------------

fn ue_vector(p: [f64; 3]) -> String {
    format!("(X={},Y={},Z={})", milli(p[0]), milli(p[1]), milli(p[2]))
}

fn ue5(world: &World) -> Vec<(String, Vec<u8>)> {
    let size_x = grid::ue5_size(world.width as usize);
    let size_y = grid::ue5_size(world.height as usize);
    let g = base_grid(world).resample(size_x, size_y);
    let cell_x = cell_m(world.width, size_x);
    let cell_y = cell_m(world.height, size_y);
    // Landscape Z scale: the 16-bit range spans 512 m at scale 100, so this makes it span
    // HEIGHT_RANGE_M; location Z puts value 0 at Z = 0 (value 32768 sits at the actor).
    let z_scale = HEIGHT_RANGE_M * 100.0 / 512.0;
    let location_z_cm = HEIGHT_RANGE_M * 100.0 / 2.0;
    let cm = |x: u32, y: u32| {
        [
            f64::from(x) * TILE_M * 100.0,
            f64::from(y) * TILE_M * 100.0,
            world.height_m(x, y) * 100.0,
        ]
    };
    let meta = HeightmapMeta {
        file: "Heightmap.png",
        format: "png16",
        grid: &g,
        row_order: "north_first",
        cell_x_m: cell_x,
        cell_z_m: cell_y,
        engine: json!({
            "landscape_location_cm": [0.0, 0.0, location_z_cm],
            "landscape_scale": [milli(cell_x * 100.0), milli(cell_y * 100.0), z_scale],
            "overall_resolution": [size_x, size_y],
            "axes": "X east, Y south, Z up; centimetres",
        }),
    };
    let mut pois = String::from("Name,PoiId,DisplayName,Kind,Faction,TileX,TileY,Location\n");
    for (i, p) in world.pois.iter().enumerate() {
        pois.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            text::csv(&format!("POI_{i:04}")),
            text::csv(&p.id),
            text::csv(&p.name),
            text::csv(&p.kind),
            text::csv(p.faction.as_deref().unwrap_or("")),
            p.x,
            p.y,
            text::csv(&ue_vector(cm(p.x, p.y)))
        ));
    }
    let mut npcs = String::from(
        "Name,NpcId,Type,Faction,Level,Health,Attack,Defense,Speed,Aggression,Behaviour,TileX,TileY,Location,HomeLocation,RadiusCm\n",
    );
    for (i, n) in world.npcs.iter().enumerate() {
        npcs.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            text::csv(&format!("NPC_{i:04}")),
            text::csv(&n.id),
            text::csv(&n.kind),
            text::csv(&n.faction),
            n.level,
            n.health,
            n.attack,
            n.defense,
            n.speed,
            f64::from(n.aggression_milli) / 1000.0,
            text::csv(&n.mode),
            n.x,
            n.y,
            text::csv(&ue_vector(cm(n.x, n.y))),
            text::csv(&ue_vector(cm(n.home_x, n.home_y))),
            f64::from(n.radius) * TILE_M * 100.0
        ));
    }
    let mut factions = String::from("Name,FactionId,DisplayName,Stance,Strength,HomePoi\n");
    for (i, f) in world.factions.iter().enumerate() {
        factions.push_str(&format!(
            "{},{},{},{},{},{}\n",
            text::csv(&format!("FACTION_{i:02}")),
            text::csv(&f.id),
            text::csv(&f.name),
            text::csv(&f.stance),
            f.strength,
            text::csv(&f.home_poi)
        ));
    }
    vec![
        file("ue5/Heightmap.png", png::gray16(g.width, g.height, &g.data)),
        file("ue5/heightmap.json", heightmap_json(world, &meta)),
        file("ue5/POIs.csv", pois),
        file("ue5/NPCs.csv", npcs),
        file("ue5/Factions.csv", factions),
        file("ue5/PacaiRows.h", UE5_ROWS_H),
        file("ue5/import_pacai.py", UE5_IMPORT_PY),
    ]
}

const UE5_ROWS_H: &str = r#"// DataTable row structs for the pacai CSV files (POIs.csv, NPCs.csv, Factions.csv).
// Copy into a runtime module of your project (rename PACAIWORLD_API to your module's
// API macro), build, then run import_pacai.py. Column names match the property names.
#pragma once

#include "CoreMinimal.h"
#include "Engine/DataTable.h"
#include "PacaiRows.generated.h"

USTRUCT(BlueprintType)
struct FPacaiPoiRow : public FTableRowBase
{
	GENERATED_BODY()

	UPROPERTY(EditAnywhere, BlueprintReadWrite) FString PoiId;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) FString DisplayName;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) FName Kind;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) FString Faction;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) int32 TileX = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) int32 TileY = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) FVector Location = FVector::ZeroVector;
};

USTRUCT(BlueprintType)
struct FPacaiNpcRow : public FTableRowBase
{
	GENERATED_BODY()

	UPROPERTY(EditAnywhere, BlueprintReadWrite) FString NpcId;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) FName Type;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) FString Faction;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) int32 Level = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) int32 Health = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) int32 Attack = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) int32 Defense = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) int32 Speed = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) float Aggression = 0.f;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) FName Behaviour;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) int32 TileX = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) int32 TileY = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) FVector Location = FVector::ZeroVector;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) FVector HomeLocation = FVector::ZeroVector;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) float RadiusCm = 0.f;
};

USTRUCT(BlueprintType)
struct FPacaiFactionRow : public FTableRowBase
{
	GENERATED_BODY()

	UPROPERTY(EditAnywhere, BlueprintReadWrite) FString FactionId;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) FString DisplayName;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) FName Stance;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) int32 Strength = 0;
	UPROPERTY(EditAnywhere, BlueprintReadWrite) FString HomePoi;
};
"#;

const UE5_IMPORT_PY: &str = r#""""Imports a pacai bundle's data into the open Unreal Editor project.

Run from the editor (Tools > Execute Python Script, or `py import_pacai.py` in the Output Log)
after building PacaiRows.h into your project. It creates the DataTables /Game/Pacai/DT_POIs,
DT_NPCs and DT_Factions from the CSV files beside it and places one TargetPoint per POI and NPC,
labelled and tagged. The Landscape itself is imported by hand from Heightmap.png (Landscape
mode > Import from File) with the location and scale given in heightmap.json.
"""

import csv
import os
import re

import unreal

HERE = os.path.dirname(os.path.abspath(__file__))
# The module PacaiRows.h was built into ("/Script/<Module>"): change to yours.
ROW_MODULE = "/Script/PacaiWorld"
DESTINATION = "/Game/Pacai"
VECTOR = re.compile(r"\(X=([-0-9.e]+),Y=([-0-9.e]+),Z=([-0-9.e]+)\)")


def import_table(csv_name, struct_name, asset_name):
    task = unreal.AssetImportTask()
    task.filename = os.path.join(HERE, csv_name)
    task.destination_path = DESTINATION
    task.destination_name = asset_name
    task.automated = True
    task.replace_existing = True
    task.save = True
    factory = unreal.CSVImportFactory()
    settings = factory.automated_import_settings
    settings.import_type = unreal.CSVImportType.ECSV_DATA_TABLE
    settings.import_row_struct = unreal.load_object(None, ROW_MODULE + "." + struct_name)
    task.factory = factory
    unreal.AssetToolsHelpers.get_asset_tools().import_asset_tasks([task])


def location(text):
    match = VECTOR.fullmatch(text)
    if match is None:
        raise ValueError("not a vector: " + text)
    return unreal.Vector(*(float(part) for part in match.groups()))


def place_markers(csv_name, id_column, label_column, tag):
    actors = unreal.get_editor_subsystem(unreal.EditorActorSubsystem)
    with open(os.path.join(HERE, csv_name), newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            actor = actors.spawn_actor_from_class(unreal.TargetPoint, location(row["Location"]))
            actor.set_actor_label(row[label_column] + " (" + row[id_column] + ")")
            actor.tags = [unreal.Name("pacai"), unreal.Name(tag), unreal.Name(row[id_column])]
            actor.set_folder_path("Pacai/" + tag)


def main():
    import_table("POIs.csv", "PacaiPoiRow", "DT_POIs")
    import_table("NPCs.csv", "PacaiNpcRow", "DT_NPCs")
    import_table("Factions.csv", "PacaiFactionRow", "DT_Factions")
    place_markers("POIs.csv", "PoiId", "DisplayName", "POI")
    place_markers("NPCs.csv", "NpcId", "Type", "NPC")


if __name__ == "__main__":
    main()
"#;

// ---------------------------------------------------------------------------------------
// Unity
// ---------------------------------------------------------------------------------------

fn unity(world: &World) -> Vec<(String, Vec<u8>)> {
    let res = grid::unity_size(world.width.max(world.height) as usize);
    // Unity's importer puts file row 0 at z = 0, the south edge when +Z is north.
    let g = base_grid(world).resample(res, res).flipped_rows();
    let (size_x, size_z) = world.extent_m();
    let last_y = world.height.saturating_sub(1);
    let pos = |x: u32, y: u32| {
        [
            f64::from(x) * TILE_M,
            world.height_m(x, y),
            f64::from(last_y.saturating_sub(y)) * TILE_M,
        ]
    };
    let meta = HeightmapMeta {
        file: "heightmap.raw",
        format: "raw16",
        grid: &g,
        row_order: "south_first",
        cell_x_m: cell_m(world.width, res),
        cell_z_m: cell_m(world.height, res),
        engine: json!({
            "heightmap_resolution": res,
            "byte_order_setting": "Windows",
            "depth_setting": "Bit16",
            "flip_vertically": false,
            "terrain_size_m": [milli(size_x), HEIGHT_RANGE_M, milli(size_z)],
            "axes": "X east, Y up, Z north; metres",
        }),
    };
    let mut data = data_value(world, "metres; X east, Y up, Z north", &pos);
    if let Some(map) = data.as_object_mut() {
        map.insert("heightmap_file".into(), json!("heightmap.raw"));
        map.insert("heightmap_resolution".into(), json!(res));
        map.insert(
            "terrain_size".into(),
            json!({"x": milli(size_x), "y": HEIGHT_RANGE_M, "z": milli(size_z)}),
        );
        // JsonUtility reads no nulls into strings reliably: a wild POI has faction "".
        if let Some(Value::Array(pois)) = map.get_mut("pois") {
            for p in pois.iter_mut() {
                if let Some(f) = p.get_mut("faction") {
                    if f.is_null() {
                        *f = json!("");
                    }
                }
            }
        }
    }
    vec![
        file("unity/heightmap.raw", g.to_le_bytes()),
        file("unity/heightmap.json", heightmap_json(world, &meta)),
        file("unity/pacai_world.json", text::json_pretty(&data)),
        file("unity/Editor/PacaiImporter.cs", UNITY_IMPORTER_CS),
    ]
}

const UNITY_IMPORTER_CS: &str = r#"// Imports a pacai bundle into the open Unity scene: Pacai > Import World..., then pick the
// bundle's unity/ folder. Creates a Terrain from heightmap.raw (16-bit little-endian, rows
// south first, heightmap_resolution square) sized from pacai_world.json, and one empty
// GameObject per POI and NPC under "Pacai POIs" / "Pacai NPCs". Place this file in an
// Editor folder (Assets/Editor/).
using System;
using System.Collections.Generic;
using System.IO;
using UnityEditor;
using UnityEngine;

namespace Pacai.Editor
{
    [Serializable]
    public class PacaiVector
    {
        public float x;
        public float y;
        public float z;

        public Vector3 ToVector3()
        {
            return new Vector3(x, y, z);
        }
    }

    [Serializable]
    public class PacaiPoi
    {
        public string id;
        public string name;
        public string kind;
        public string faction;
        public int tile_x;
        public int tile_y;
        public PacaiVector position;
    }

    [Serializable]
    public class PacaiNpc
    {
        public string id;
        public string type;
        public string faction;
        public int tile_x;
        public int tile_y;
        public PacaiVector position;
        public int level;
        public int health;
        public int attack;
        public int defense;
        public int speed;
        public float aggression;
        public string behaviour;
        public PacaiVector home_position;
        public int radius_tiles;
    }

    [Serializable]
    public class PacaiFaction
    {
        public string id;
        public string name;
        public string stance;
        public int strength;
        public string home_poi;
    }

    [Serializable]
    public class PacaiWorld
    {
        public string seed;
        public string biome;
        public string heightmap_file;
        public int heightmap_resolution;
        public PacaiVector terrain_size;
        public float sea_level_m;
        public List<PacaiPoi> pois;
        public List<PacaiNpc> npcs;
        public List<PacaiFaction> factions;
    }

    public static class PacaiImporter
    {
        [MenuItem("Pacai/Import World...")]
        public static void ImportWorld()
        {
            string folder = EditorUtility.OpenFolderPanel("pacai bundle (unity folder)", "", "");
            if (string.IsNullOrEmpty(folder))
            {
                return;
            }
            Import(folder);
        }

        public static void Import(string folder)
        {
            string json = File.ReadAllText(Path.Combine(folder, "pacai_world.json"));
            PacaiWorld world = JsonUtility.FromJson<PacaiWorld>(json);
            int res = world.heightmap_resolution;
            byte[] raw = File.ReadAllBytes(Path.Combine(folder, world.heightmap_file));
            if (raw.Length != res * res * 2)
            {
                throw new InvalidDataException("heightmap.raw does not hold " + res + "x" + res + " 16-bit samples");
            }
            float[,] heights = new float[res, res];
            for (int z = 0; z < res; z++)
            {
                for (int x = 0; x < res; x++)
                {
                    int at = (z * res + x) * 2;
                    heights[z, x] = (raw[at] | (raw[at + 1] << 8)) / 65535f;
                }
            }
            TerrainData data = new TerrainData();
            data.heightmapResolution = res;
            data.size = world.terrain_size.ToVector3();
            data.SetHeights(0, 0, heights);
            AssetDatabase.CreateAsset(data, AssetDatabase.GenerateUniqueAssetPath("Assets/PacaiTerrain.asset"));
            GameObject terrain = Terrain.CreateTerrainGameObject(data);
            terrain.name = "Pacai Terrain " + world.seed;
            Undo.RegisterCreatedObjectUndo(terrain, "Import pacai world");

            GameObject pois = new GameObject("Pacai POIs");
            foreach (PacaiPoi poi in world.pois)
            {
                GameObject marker = new GameObject(poi.name + " (" + poi.id + ")");
                marker.transform.SetParent(pois.transform, false);
                marker.transform.position = poi.position.ToVector3();
            }
            Undo.RegisterCreatedObjectUndo(pois, "Import pacai world");

            GameObject npcs = new GameObject("Pacai NPCs");
            foreach (PacaiNpc npc in world.npcs)
            {
                GameObject marker = new GameObject(npc.type + " (" + npc.id + ")");
                marker.transform.SetParent(npcs.transform, false);
                marker.transform.position = npc.position.ToVector3();
            }
            Undo.RegisterCreatedObjectUndo(npcs, "Import pacai world");
        }
    }
}
"#;

// ---------------------------------------------------------------------------------------
// Godot 4
// ---------------------------------------------------------------------------------------

/// A Godot `Transform3D` with identity basis at `p`.
fn godot_transform(p: [f64; 3]) -> String {
    format!(
        "Transform3D(1, 0, 0, 0, 1, 0, 0, 0, 1, {}, {}, {})",
        milli(p[0]),
        milli(p[1]),
        milli(p[2])
    )
}

fn godot(world: &World) -> Vec<(String, Vec<u8>)> {
    let g = base_grid(world);
    let meta = HeightmapMeta {
        file: "heightmap.r16",
        format: "r16",
        grid: &g,
        row_order: "north_first",
        cell_x_m: TILE_M,
        cell_z_m: TILE_M,
        engine: json!({
            "terrain3d_import": {"height_offset": 0.0, "import_scale": HEIGHT_RANGE_M, "r16_size": [g.width, g.height]},
            "vertex_spacing_m": TILE_M,
            "axes": "X east, Y up, Z south; metres",
        }),
    };
    let pos = |x: u32, y: u32| super::mesh::tile_position(world, x, y);
    let mut tscn = String::from("[gd_scene load_steps=2 format=3]\n\n");
    tscn.push_str(
        "[ext_resource type=\"PackedScene\" path=\"res://pacai/terrain.glb\" id=\"1_terrain\"]\n\n",
    );
    tscn.push_str("[node name=\"PacaiWorld\" type=\"Node3D\"]\n");
    tscn.push_str(&format!(
        "metadata/pacai_seed = {}\nmetadata/pacai_biome = {}\nmetadata/pacai_tile_size_m = {}\n\n",
        text::c_string(&world.seed),
        text::c_string(&world.biome),
        TILE_M
    ));
    tscn.push_str("[node name=\"Terrain\" parent=\".\" instance=ExtResource(\"1_terrain\")]\n\n");
    tscn.push_str("[node name=\"POIs\" type=\"Node3D\" parent=\".\"]\n\n");
    for (i, p) in world.pois.iter().enumerate() {
        tscn.push_str(&format!(
            "[node name=\"POI_{i:04}\" type=\"Marker3D\" parent=\"POIs\"]\ntransform = {}\nmetadata/pacai_id = {}\nmetadata/pacai_name = {}\nmetadata/pacai_kind = {}\nmetadata/pacai_faction = {}\n\n",
            godot_transform(pos(p.x, p.y)),
            text::c_string(&p.id),
            text::c_string(&p.name),
            text::c_string(&p.kind),
            text::c_string(p.faction.as_deref().unwrap_or("")),
        ));
    }
    tscn.push_str("[node name=\"NPCs\" type=\"Node3D\" parent=\".\"]\n");
    for (i, n) in world.npcs.iter().enumerate() {
        tscn.push_str(&format!(
            "\n[node name=\"NPC_{i:04}\" type=\"Marker3D\" parent=\"NPCs\"]\ntransform = {}\nmetadata/pacai_id = {}\nmetadata/pacai_type = {}\nmetadata/pacai_faction = {}\nmetadata/pacai_level = {}\nmetadata/pacai_behaviour = {}\n",
            godot_transform(pos(n.x, n.y)),
            text::c_string(&n.id),
            text::c_string(&n.kind),
            text::c_string(&n.faction),
            n.level,
            text::c_string(&n.mode),
        ));
    }
    let script = GODOT_COLLISION_GD
        .replace("{WIDTH}", &g.width.to_string())
        .replace("{DEPTH}", &g.height.to_string())
        .replace("{CELL}", &format!("{TILE_M:.1}"))
        .replace("{RANGE}", &format!("{HEIGHT_RANGE_M}"));
    vec![
        file("godot/world.tscn", tscn),
        file("godot/terrain.glb", gltf::glb(world, false)),
        file("godot/heightmap.r16", g.to_le_bytes()),
        file("godot/heightmap.json", heightmap_json(world, &meta)),
        file("godot/pacai_collision.gd", script),
    ]
}

const GODOT_COLLISION_GD: &str = r#"@tool
extends EditorScript
## Adds terrain collision to the open scene: a StaticBody3D holding a HeightMapShape3D
## built from heightmap.r16 (16-bit little-endian, rows north first). Open world.tscn,
## then File > Run in the script editor. Expects the bundle's godot/ folder at res://pacai/.

const HEIGHTMAP := "res://pacai/heightmap.r16"
const WIDTH := {WIDTH}
const DEPTH := {DEPTH}
const CELL_M := {CELL}
const HEIGHT_RANGE_M := {RANGE}


func _run() -> void:
	var root := EditorInterface.get_edited_scene_root()
	if root == null:
		push_error("Open a scene first (world.tscn).")
		return
	var bytes := FileAccess.get_file_as_bytes(HEIGHTMAP)
	if bytes.size() != WIDTH * DEPTH * 2:
		push_error("heightmap.r16 does not hold %d x %d samples" % [WIDTH, DEPTH])
		return
	# The shape is scaled uniformly by CELL_M (physics wants uniform scale), so heights
	# are stored divided by it.
	var heights := PackedFloat32Array()
	heights.resize(WIDTH * DEPTH)
	for i in range(WIDTH * DEPTH):
		heights[i] = bytes.decode_u16(i * 2) / 65535.0 * HEIGHT_RANGE_M / CELL_M
	var shape := HeightMapShape3D.new()
	shape.map_width = WIDTH
	shape.map_depth = DEPTH
	shape.map_data = heights
	var body := StaticBody3D.new()
	body.name = "TerrainCollision"
	var collision := CollisionShape3D.new()
	collision.name = "HeightMap"
	collision.shape = shape
	collision.scale = Vector3(CELL_M, CELL_M, CELL_M)
	# HeightMapShape3D is centred on its origin; move its first sample to (0, 0, 0).
	collision.position = Vector3((WIDTH - 1) * CELL_M / 2.0, 0.0, (DEPTH - 1) * CELL_M / 2.0)
	body.add_child(collision)
	root.add_child(body)
	body.owner = root
	collision.owner = root
"#;

// ---------------------------------------------------------------------------------------
// Roblox
// ---------------------------------------------------------------------------------------

/// Studs per metre in the Roblox bundle: a 2 m tile is one 4-stud terrain voxel.
const STUDS_PER_M: f64 = 2.0;

/// Terrain material colours of Roblox's heightmap importer (creator-docs "Environmental
/// terrain", colormap table), by tile class.
fn roblox_material(tile: &str) -> (&'static str, [u8; 3]) {
    match tile {
        "deep_water" | "shallow_water" => ("Water", [12, 84, 92]),
        "beach" | "desert" => ("Sand", [143, 126, 95]),
        "grassland" => ("Grass", [106, 127, 63]),
        "forest" | "jungle" | "taiga" => ("LeafyGrass", [115, 132, 74]),
        "savanna" | "hills" => ("Ground", [102, 92, 59]),
        "tundra" => ("Slate", [63, 127, 107]),
        "snow" | "peak" => ("Snow", [195, 199, 218]),
        "ice" => ("Glacier", [101, 176, 234]),
        "marsh" => ("Mud", [58, 46, 36]),
        "mountain" => ("Rock", [102, 108, 111]),
        "ash" => ("Basalt", [30, 30, 37]),
        "lava" => ("CrackedLava", [232, 156, 74]),
        _ => ("Ground", [102, 92, 59]),
    }
}

fn roblox_part(out: &mut String, referent: usize, name: &str, p: [f64; 3], colour: [u8; 3]) {
    out.push_str(&format!(
        "\t\t\t<Item class=\"Part\" referent=\"RBX{referent:06}\">\n\t\t\t\t<Properties>\n\
\t\t\t\t\t<string name=\"Name\">{}</string>\n\
\t\t\t\t\t<bool name=\"Anchored\">true</bool>\n\
\t\t\t\t\t<bool name=\"CanCollide\">false</bool>\n\
\t\t\t\t\t<CoordinateFrame name=\"CFrame\"><X>{}</X><Y>{}</Y><Z>{}</Z><R00>1</R00><R01>0</R01><R02>0</R02><R10>0</R10><R11>1</R11><R12>0</R12><R20>0</R20><R21>0</R21><R22>1</R22></CoordinateFrame>\n\
\t\t\t\t\t<Color3uint8 name=\"Color3uint8\">{}</Color3uint8>\n\
\t\t\t\t\t<Vector3 name=\"size\"><X>2</X><Y>2</Y><Z>2</Z></Vector3>\n\
\t\t\t\t\t<float name=\"Transparency\">0.25</float>\n\
\t\t\t\t</Properties>\n\t\t\t</Item>\n",
        text::xml(name),
        milli(p[0]),
        milli(p[1]),
        milli(p[2]),
        0xFF00_0000u32 | u32::from(colour[0]) << 16 | u32::from(colour[1]) << 8 | u32::from(colour[2]),
    ));
}

fn roblox(world: &World) -> Vec<(String, Vec<u8>)> {
    let g = base_grid(world);
    let stud = |m: f64| m * STUDS_PER_M;
    // Pixel (x, y) covers studs [4x, 4x + 4) east and [4y, 4y + 4) south of the origin.
    let pos = |x: u32, y: u32| {
        [
            f64::from(x) * 4.0 + 2.0,
            stud(world.height_m(x, y)),
            f64::from(y) * 4.0 + 2.0,
        ]
    };
    let region = [
        f64::from(world.width) * 4.0,
        stud(HEIGHT_RANGE_M),
        f64::from(world.height) * 4.0,
    ];
    let mut colormap = Vec::with_capacity(world.tiles.len() * 3);
    for t in &world.tiles {
        colormap.extend_from_slice(&roblox_material(world.tile_name(*t)).1);
    }
    let meta = HeightmapMeta {
        file: "heightmap.png",
        format: "png16",
        grid: &g,
        row_order: "north_first",
        cell_x_m: TILE_M,
        cell_z_m: TILE_M,
        engine: json!({
            "studs_per_m": STUDS_PER_M,
            "studs_per_pixel": 4,
            "colormap": "colormap.png",
            "region_position_studs": [region[0] / 2.0, region[1] / 2.0, region[2] / 2.0],
            "region_size_studs": region,
            "axes": "X east, Y up, Z south; studs",
        }),
    };
    let data = data_value(world, "studs; X east, Y up, Z south", &pos);
    let mut lua = String::from(
        "--!strict\n-- pacai world data: POIs, NPCs and factions, positions in studs (X east, Y up, Z south).\n-- Generated; require() it from a Script, e.g. `local data = require(workspace.PacaiWorld.PacaiData)`.\nlocal data = ",
    );
    text::luau(&data, 0, &mut lua);
    lua.push_str("\n\nreturn data\n");

    let mut xml = String::from(
        "<roblox xmlns:xmime=\"http://www.w3.org/2005/05/xmlmime\" version=\"4\">\n\t<Meta name=\"ExplicitAutoJoints\">true</Meta>\n",
    );
    xml.push_str("\t<Item class=\"Folder\" referent=\"RBX000000\">\n\t\t<Properties>\n\t\t\t<string name=\"Name\">PacaiWorld</string>\n\t\t</Properties>\n");
    xml.push_str(&format!(
        "\t\t<Item class=\"ModuleScript\" referent=\"RBX000001\">\n\t\t\t<Properties>\n\t\t\t\t<string name=\"Name\">PacaiData</string>\n\t\t\t\t<ProtectedString name=\"Source\">{}</ProtectedString>\n\t\t\t</Properties>\n\t\t</Item>\n",
        text::xml(&lua)
    ));
    let mut referent = 2;
    xml.push_str(&format!("\t\t<Item class=\"Folder\" referent=\"RBX{referent:06}\">\n\t\t\t<Properties>\n\t\t\t\t<string name=\"Name\">POIs</string>\n\t\t\t</Properties>\n"));
    referent += 1;
    for p in &world.pois {
        roblox_part(&mut xml, referent, &p.name, pos(p.x, p.y), [255, 200, 0]);
        referent += 1;
    }
    xml.push_str("\t\t</Item>\n");
    xml.push_str(&format!("\t\t<Item class=\"Folder\" referent=\"RBX{referent:06}\">\n\t\t\t<Properties>\n\t\t\t\t<string name=\"Name\">NPCs</string>\n\t\t\t</Properties>\n"));
    referent += 1;
    for n in &world.npcs {
        roblox_part(
            &mut xml,
            referent,
            &format!("{} {}", n.kind, n.id),
            pos(n.x, n.y),
            [200, 40, 40],
        );
        referent += 1;
    }
    xml.push_str("\t\t</Item>\n\t</Item>\n</roblox>\n");
    vec![
        file(
            "roblox/heightmap.png",
            png::gray16(g.width, g.height, &g.data),
        ),
        file(
            "roblox/colormap.png",
            png::rgb8(world.width as usize, world.height as usize, &colormap),
        ),
        file("roblox/heightmap.json", heightmap_json(world, &meta)),
        file("roblox/PacaiWorld.rbxmx", xml),
        file("roblox/PacaiData.luau", lua),
    ]
}

// ---------------------------------------------------------------------------------------
// Blender, WebGPU
// ---------------------------------------------------------------------------------------

fn blender(world: &World) -> Vec<(String, Vec<u8>)> {
    vec![
        file("blender/terrain.glb", gltf::glb(world, true)),
        file("blender/import_pacai.py", BLENDER_IMPORT_PY),
    ]
}

const BLENDER_IMPORT_PY: &str = r#""""Imports a pacai bundle's terrain.glb into the open Blender scene.

Run with `blender --python import_pacai.py` (or Scripting > Open > Run Script with this file
saved beside terrain.glb). The glTF importer turns glTF's Y-up into Blender's Z-up, each POI
and NPC becomes an empty whose custom properties are the glTF node's `extras`, and this
script wires the terrain's vertex colours (biomes) into its material.
"""

import os

import bpy

HERE = os.path.dirname(os.path.abspath(__file__))
GLB = os.path.join(HERE, "terrain.glb")


def use_vertex_colours(material):
    material.use_nodes = True
    nodes = material.node_tree.nodes
    shader = next((n for n in nodes if n.type == "BSDF_PRINCIPLED"), None)
    if shader is None:
        return
    colour = nodes.new("ShaderNodeVertexColor")
    colour.layer_name = "Color"
    material.node_tree.links.new(colour.outputs["Color"], shader.inputs["Base Color"])


def main(path=GLB):
    scene = bpy.context.scene
    scene.unit_settings.system = "METRIC"
    scene.unit_settings.scale_length = 1.0
    bpy.ops.import_scene.gltf(filepath=path)
    terrain = bpy.data.objects.get("Terrain")
    if terrain is not None and terrain.active_material is not None:
        use_vertex_colours(terrain.active_material)
    return terrain


if __name__ == "__main__":
    main()
"#;

fn webgpu(world: &World) -> Vec<(String, Vec<u8>)> {
    let g = base_grid(world);
    let meta = HeightmapMeta {
        file: "heightmap.png",
        format: "png16",
        grid: &g,
        row_order: "north_first",
        cell_x_m: TILE_M,
        cell_z_m: TILE_M,
        engine: json!({
            "glb": "terrain.glb",
            "axes": "X east, Y up, Z south; metres (glTF)",
        }),
    };
    vec![
        file("webgpu/terrain.glb", gltf::glb(world, true)),
        file(
            "webgpu/heightmap.png",
            png::gray16(g.width, g.height, &g.data),
        ),
        file("webgpu/heightmap.json", heightmap_json(world, &meta)),
    ]
}

// ---------------------------------------------------------------------------------------
// CRYENGINE
// ---------------------------------------------------------------------------------------

fn cryengine(world: &World) -> Vec<(String, Vec<u8>)> {
    // Power-of-two terrain at the world's own 2 m unit: the world fills the north-west
    // corner and the rest is sea floor (height 0), so no sample is interpolated.
    let side = grid::pow2_size(world.width.max(world.height) as usize, 256, 4096);
    let base = base_grid(world);
    let mut data = vec![0u16; side * side];
    for (y, row) in base.data.chunks(base.width.max(1)).enumerate().take(side) {
        if let Some(dst) = data.get_mut(y * side..y * side + row.len().min(side)) {
            dst.copy_from_slice(row.get(..dst.len()).unwrap_or(&[]));
        }
    }
    let g = Grid {
        width: side,
        height: side,
        data,
    };
    let span = side as f64 * TILE_M;
    // Row 0 is the north edge: Y (north) = span - (y + 1) * unit... sample y covers
    // [span - (y+1)*2, span - y*2); its centre is the tile's position.
    let pos = |x: u32, y: u32| {
        [
            f64::from(x) * TILE_M,
            span - f64::from(y) * TILE_M - TILE_M,
            world.height_m(x, y),
        ]
    };
    let meta = HeightmapMeta {
        file: "heightmap.r16",
        format: "r16",
        grid: &g,
        row_order: "north_first",
        cell_x_m: TILE_M,
        cell_z_m: TILE_M,
        engine: json!({
            "heightmap_resolution": side,
            "meters_per_unit": TILE_M,
            "max_height_m": HEIGHT_RANGE_M,
            "ocean_level_m": f64::from(world.sea_level) * HEIGHT_STEP_M,
            "world_area_tiles": [world.width, world.height],
            "axes": "X east, Y north, Z up; metres",
        }),
    };
    let mut grp = String::from("<Objects>\n");
    let mut object = |kind: &str, id: &str, name: &str, p: [f64; 3], props: &[(&str, String)]| {
        grp.push_str(&format!(
            "\t<Object Type=\"Entity\" Layer=\"Pacai\" Id=\"{}\" Name=\"{}\" Pos=\"{},{},{}\" Rotate=\"1,0,0,0\" Scale=\"1,1,1\" EntityClass=\"TagPoint\">\n\t\t<Properties pacai_type=\"{}\"",
            guid(&format!("{kind}:{id}")),
            text::xml(name),
            milli(p[0]),
            milli(p[1]),
            milli(p[2]),
            kind,
        ));
        for (k, v) in props {
            grp.push_str(&format!(" pacai_{k}=\"{}\"", text::xml(v)));
        }
        grp.push_str("/>\n\t</Object>\n");
    };
    for p in &world.pois {
        object(
            "poi",
            &p.id,
            &format!("POI {} ({})", p.name, p.id),
            pos(p.x, p.y),
            &[
                ("id", p.id.clone()),
                ("kind", p.kind.clone()),
                ("faction", p.faction.clone().unwrap_or_default()),
            ],
        );
    }
    for n in &world.npcs {
        object(
            "npc",
            &n.id,
            &format!("NPC {} ({})", n.kind, n.id),
            pos(n.x, n.y),
            &[
                ("id", n.id.clone()),
                ("entity_type", n.kind.clone()),
                ("faction", n.faction.clone()),
                ("level", n.level.to_string()),
                ("behaviour", n.mode.clone()),
            ],
        );
    }
    grp.push_str("</Objects>\n");
    vec![
        file("cryengine/heightmap.r16", g.to_le_bytes()),
        file("cryengine/heightmap.json", heightmap_json(world, &meta)),
        file("cryengine/objects.grp", grp),
    ]
}

// ---------------------------------------------------------------------------------------
// Source 2
// ---------------------------------------------------------------------------------------

/// Hammer units per tile (its default grid step) and per height step: 32 units per metre.
const UNITS_PER_TILE: f64 = 64.0;
const UNITS_PER_M: f64 = UNITS_PER_TILE / TILE_M;

fn source2(world: &World) -> Vec<(String, Vec<u8>)> {
    let side = grid::pow2_size(world.width.max(world.height) as usize, 128, 4096);
    let g = base_grid(world).resample(side, side);
    let cx = f64::from(world.width.saturating_sub(1)) / 2.0;
    let cy = f64::from(world.height.saturating_sub(1)) / 2.0;
    let pos = |x: u32, y: u32| {
        [
            (f64::from(x) - cx) * UNITS_PER_TILE,
            (cy - f64::from(y)) * UNITS_PER_TILE,
            world.height_m(x, y) * UNITS_PER_M,
        ]
    };
    let (ext_x, ext_z) = world.extent_m();
    let meta = HeightmapMeta {
        file: "heightmap.r16",
        format: "r16",
        grid: &g,
        row_order: "north_first",
        cell_x_m: cell_m(world.width, side),
        cell_z_m: cell_m(world.height, side),
        engine: json!({
            "units_per_m": UNITS_PER_M,
            "terrain_resolution": side,
            "terrain_size_units": [milli(ext_x * UNITS_PER_M), milli(ext_z * UNITS_PER_M)],
            "terrain_height_units": HEIGHT_RANGE_M * UNITS_PER_M,
            "terrain_origin_units": [milli(-cx * UNITS_PER_TILE), milli(cy * UNITS_PER_TILE), 0.0],
            "axes": "X east, Y north, Z up; Hammer units",
        }),
    };
    let mut vmf = String::from(
        "versioninfo\n{\n\t\"editorversion\" \"400\"\n\t\"editorbuild\" \"8864\"\n\t\"mapversion\" \"1\"\n\t\"formatversion\" \"100\"\n\t\"prefab\" \"0\"\n}\nvisgroups\n{\n}\nviewsettings\n{\n\t\"bSnapToGrid\" \"1\"\n\t\"bShowGrid\" \"1\"\n\t\"bShowLogicalGrid\" \"0\"\n\t\"nGridSpacing\" \"64\"\n\t\"bShow3DGrid\" \"0\"\n}\nworld\n{\n\t\"id\" \"1\"\n\t\"mapversion\" \"1\"\n\t\"classname\" \"worldspawn\"\n\t\"skyname\" \"sky_day01_01\"\n}\n",
    );
    let mut id = 2;
    let mut entity = |name: &str, p: [f64; 3], keys: &[(&str, String)]| {
        vmf.push_str(&format!(
            "entity\n{{\n\t\"id\" \"{id}\"\n\t\"classname\" \"info_target\"\n\t\"targetname\" {}\n\t\"origin\" \"{} {} {}\"\n\t\"angles\" \"0 0 0\"\n",
            text::kv1(name),
            milli(p[0]),
            milli(p[1]),
            milli(p[2]),
        ));
        for (k, v) in keys {
            vmf.push_str(&format!("\t\"pacai_{k}\" {}\n", text::kv1(v)));
        }
        vmf.push_str("\teditor\n\t{\n\t\t\"color\" \"220 30 220\"\n\t\t\"visgroupshown\" \"1\"\n\t\t\"visgroupautoshown\" \"1\"\n\t\t\"logicalpos\" \"[0 0]\"\n\t}\n}\n");
        id += 1;
    };
    for p in &world.pois {
        entity(
            &format!("pacai_poi_{}", p.id),
            pos(p.x, p.y),
            &[
                ("id", p.id.clone()),
                ("name", p.name.clone()),
                ("kind", p.kind.clone()),
                ("faction", p.faction.clone().unwrap_or_default()),
            ],
        );
    }
    for n in &world.npcs {
        entity(
            &format!("pacai_npc_{}", n.id),
            pos(n.x, n.y),
            &[
                ("id", n.id.clone()),
                ("type", n.kind.clone()),
                ("faction", n.faction.clone()),
                ("level", n.level.to_string()),
                ("behaviour", n.mode.clone()),
            ],
        );
    }
    vmf.push_str("cameras\n{\n\t\"activecamera\" \"-1\"\n}\ncordons\n{\n\t\"active\" \"0\"\n}\n");
    let data = data_value(
        world,
        "Hammer units (32 per metre); X east, Y north, Z up",
        &pos,
    );
    let mut kv3 = String::from("<!-- kv3 encoding:text:version{e21c7f3c-8a33-41c5-9977-a76d3a32aa0d} format:generic:version{7412167c-06e9-4698-aff2-e63eb59037e7} -->");
    text::kv3(&data, 0, &mut kv3);
    kv3.push('\n');
    vec![
        file("source2/heightmap.r16", g.to_le_bytes()),
        file("source2/heightmap.json", heightmap_json(world, &meta)),
        file("source2/entities.vmf", vmf),
        file("source2/pacai_world.kv3", kv3),
    ]
}
