"""The text files read back by independent parsers: lxml (strict XML) for .rbxmx and .grp,
godot-parser for .tscn, gdtoolkit for GDScript, srctools and vdf for VMF, keyvalues3 for
KV3, tree-sitter grammars for C# and Luau, `ast` for the Python importers, `csv` for the
UE DataTables, JSON Schemas for the JSON data. Positions agree with the document."""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lxml import etree

from tests.core.export.heights import HEIGHT_STEP_M, TILE_M, tile_heights

Exported = Callable[[str, str], dict[str, bytes]]
SCHEMAS = Path(__file__).parent / "schemas"
WORLDS = ["big", "small"]


def strict_xml(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=True)
    return etree.fromstring(data, parser)


def tree_sitter_errors(language: Any, source: bytes) -> int:
    import tree_sitter

    tree = tree_sitter.Parser(tree_sitter.Language(language)).parse(source)
    stack, errors = [tree.root_node], 0
    while stack:
        node = stack.pop()
        errors += node.is_error or node.is_missing
        stack.extend(node.children)
    return errors


@pytest.mark.parametrize("world", WORLDS)
def test_ue5_datatables_and_script(world: str, exported: Exported, documents: dict[str, dict[str, Any]]) -> None:
    doc = documents[world]
    files = exported(world, "ue5")
    tiles = tile_heights(doc)
    pois = list(csv.DictReader(io.StringIO(files["ue5/POIs.csv"].decode())))
    npcs = list(csv.DictReader(io.StringIO(files["ue5/NPCs.csv"].decode())))
    factions = list(csv.DictReader(io.StringIO(files["ue5/Factions.csv"].decode())))
    for rows in (pois, npcs, factions):
        names = [r["Name"] for r in rows]
        assert len(set(names)) == len(names) and all(names)
    assert [r["PoiId"] for r in pois] == [p["id"] for p in doc["world"]["pois"]]
    assert [r["FactionId"] for r in factions] == [f["id"] for f in doc["narrative"]["factions"]]
    for row, e in zip(npcs, doc["entities"], strict=True):
        x, y = e["position"]["x"], e["position"]["y"]
        match = re.fullmatch(r"\(X=([-0-9.]+),Y=([-0-9.]+),Z=([-0-9.]+)\)", row["Location"])
        assert match is not None, row["Location"]
        # Unreal: X east, Y south, Z up, centimetres.
        assert [float(v) for v in match.groups()] == [x * 200, y * 200, tiles[y][x] * HEIGHT_STEP_M * 100]
        assert row["NpcId"] == e["id"] and int(row["Level"]) == e["stats"]["level"]
    header = files["ue5/PacaiRows.h"].decode()
    for column in [*pois[0].keys(), *npcs[0].keys()]:
        assert column == "Name" or f" {column}" in header, column
    ast.parse(files["ue5/import_pacai.py"])


@pytest.mark.parametrize("world", WORLDS)
def test_unity_json_and_importer(world: str, exported: Exported, documents: dict[str, dict[str, Any]]) -> None:
    import tree_sitter_c_sharp

    doc = documents[world]
    files = exported(world, "unity")
    data = json.loads(files["unity/pacai_world.json"])
    jsonschema.validate(data, json.loads((SCHEMAS / "world_data.schema.json").read_text()))
    height = doc["world"]["height"]
    tiles = tile_heights(doc)
    for npc, e in zip(data["npcs"], doc["entities"], strict=True):
        x, y = e["position"]["x"], e["position"]["y"]
        # Unity: X east, Y up, Z north.
        assert npc["position"] == {"x": x * TILE_M, "y": tiles[y][x] * HEIGHT_STEP_M, "z": (height - 1 - y) * TILE_M}
    assert tree_sitter_errors(tree_sitter_c_sharp.language(), files["unity/Editor/PacaiImporter.cs"]) == 0
    assert tree_sitter_errors(tree_sitter_c_sharp.language(), b"class A { void B( { } }") > 0


@pytest.mark.parametrize("world", WORLDS)
def test_godot_scene_and_script(world: str, exported: Exported, documents: dict[str, dict[str, Any]]) -> None:
    from gdtoolkit.parser import parser as gd_parser
    from godot_parser import parse as parse_tscn

    doc = documents[world]
    files = exported(world, "godot")
    scene = parse_tscn(files["godot/world.tscn"].decode())
    sections = scene.get_sections()
    assert sections[0].header.name == "gd_scene" and sections[0].header["format"] == 3
    nodes = [s for s in sections if s.header.name == "node"]
    npc_nodes = [n for n in nodes if n.header.get("parent") == "NPCs"]
    assert [n["metadata/pacai_id"] for n in npc_nodes] == [e["id"] for e in doc["entities"]]
    tiles = tile_heights(doc)
    for node, e in zip(npc_nodes, doc["entities"], strict=True):
        x, y = e["position"]["x"], e["position"]["y"]
        origin = list(node["transform"].args)[9:]
        assert origin == [x * TILE_M, tiles[y][x] * HEIGHT_STEP_M, y * TILE_M]
    ext = [s for s in sections if s.header.name == "ext_resource"]
    assert [(e.header["type"], e.header["path"]) for e in ext] == [("PackedScene", "res://pacai/terrain.glb")]
    gd_parser.parse(files["godot/pacai_collision.gd"].decode())
    with pytest.raises(Exception):  # noqa: B017, PT011 - any parse error proves the parser checks
        gd_parser.parse("func broken(:\n\tpass\n")


@pytest.mark.parametrize("world", WORLDS)
def test_roblox_model_and_module(world: str, exported: Exported, documents: dict[str, dict[str, Any]]) -> None:
    import tree_sitter_luau

    doc = documents[world]
    files = exported(world, "roblox")
    root = strict_xml(files["roblox/PacaiWorld.rbxmx"])
    assert root.tag == "roblox" and root.get("version") == "4"
    items = root.iter("Item")
    referents = [i.get("referent") for i in items]
    assert len(set(referents)) == len(referents) and "null" not in referents
    module = root.find("./Item/Item[@class='ModuleScript']")
    assert module is not None
    source = module.find("./Properties/ProtectedString[@name='Source']")
    assert source is not None and source.text == files["roblox/PacaiData.luau"].decode()
    npc_parts = root.findall("./Item/Item[@class='Folder']")[1].findall("./Item[@class='Part']")
    tiles = tile_heights(doc)
    assert len(npc_parts) == len(doc["entities"])
    for part, e in zip(npc_parts, doc["entities"], strict=True):
        x, y = e["position"]["x"], e["position"]["y"]
        frame = part.find("./Properties/CoordinateFrame")
        assert frame is not None
        xyz = [float(frame.findtext(k) or "nan") for k in ("X", "Y", "Z")]
        assert xyz == [x * 4 + 2, tiles[y][x] * HEIGHT_STEP_M * 2, y * 4 + 2]
    assert tree_sitter_errors(tree_sitter_luau.language(), files["roblox/PacaiData.luau"]) == 0
    assert tree_sitter_errors(tree_sitter_luau.language(), b"local x = {\nreturn") > 0


@pytest.mark.parametrize("world", WORLDS)
def test_cryengine_object_group(world: str, exported: Exported, documents: dict[str, dict[str, Any]]) -> None:
    doc = documents[world]
    files = exported(world, "cryengine")
    meta = json.loads(files["cryengine/heightmap.json"])
    root = strict_xml(files["cryengine/objects.grp"])
    assert root.tag == "Objects"
    objects = root.findall("Object")
    assert len(objects) == len(doc["world"]["pois"]) + len(doc["entities"])
    ids = [o.get("Id") for o in objects]
    assert len(set(ids)) == len(ids)
    assert all(o.get("Type") == "Entity" and o.get("EntityClass") == "TagPoint" for o in objects)
    span = meta["width"] * TILE_M
    tiles = tile_heights(doc)
    for obj, e in zip(objects[len(doc["world"]["pois"]) :], doc["entities"], strict=True):
        x, y = e["position"]["x"], e["position"]["y"]
        pos = [float(v) for v in (obj.get("Pos") or "").split(",")]
        # CryEngine: X east, Y north (the map's north edge at Y = span), Z up.
        assert pos == [x * TILE_M, span - (y + 1) * TILE_M, tiles[y][x] * HEIGHT_STEP_M]
        props = obj.find("Properties")
        assert props is not None and props.get("pacai_id") == e["id"]


@pytest.mark.parametrize("world", WORLDS)
def test_source2_vmf_and_kv3(world: str, exported: Exported, documents: dict[str, dict[str, Any]]) -> None:
    import keyvalues3
    import vdf
    from srctools.keyvalues import Keyvalues
    from srctools.vmf import VMF

    doc = documents[world]
    files = exported(world, "source2")
    text = files["source2/entities.vmf"].decode()
    vmf = VMF.parse(Keyvalues.parse(text))
    ents = [e for e in vmf.entities if e["pacai_id"]]
    assert len(ents) == len(doc["world"]["pois"]) + len(doc["entities"])
    assert vdf.loads(text, mapper=vdf.VDFDict)["world"]["classname"] == "worldspawn"
    w, h = doc["world"]["width"], doc["world"]["height"]
    tiles = tile_heights(doc)
    npc_ents = ents[len(doc["world"]["pois"]) :]
    for ent, e in zip(npc_ents, doc["entities"], strict=True):
        x, y = e["position"]["x"], e["position"]["y"]
        assert ent["classname"] == "info_target" and ent["pacai_id"] == e["id"]
        origin = [float(v) for v in ent["origin"].split()]
        assert origin == [(x - (w - 1) / 2) * 64, ((h - 1) / 2 - y) * 64, tiles[y][x] * HEIGHT_STEP_M * 32]
        assert all(abs(c) <= 16384 for c in origin)
    kv = keyvalues3.textreader.KV3TextReader().parse(files["source2/pacai_world.kv3"].decode())
    data = kv.value if hasattr(kv, "value") else kv
    assert [n["id"] for n in data["npcs"]] == [e["id"] for e in doc["entities"]]


@pytest.mark.parametrize("world", WORLDS)
def test_blender_script_parses(world: str, exported: Exported) -> None:
    tree = ast.parse(exported(world, "blender")["blender/import_pacai.py"])
    assert any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body)
