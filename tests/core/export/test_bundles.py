"""Engine list, determinism and the ZIP writer, read back with Python's zipfile."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pacai import _core

ENGINE_IDS = ["ue5", "unity", "godot", "roblox", "blender", "cryengine", "source2", "webgpu", "visionos"]


def test_nine_engines_with_their_files() -> None:
    engines = _core.export_engines()
    assert [e["id"] for e in engines] == ENGINE_IDS
    for e in engines:
        assert e["name"] and e["format_version"] == _core.EXPORT_FORMAT_VERSION
        assert e["files"] and all(f.startswith(e["id"] + "/") for f in e["files"])


@pytest.mark.parametrize("engine", ENGINE_IDS)
def test_bundle_is_byte_identical_across_runs(engine: str, worlds: dict[str, bytes]) -> None:
    world = worlds["small"]
    files = _core.export_document_files(world) + _core.export_engine_files(world, engine)
    again = _core.export_document_files(bytes(world)) + _core.export_engine_files(bytes(world), engine)
    assert files == again
    archive = _core.zip_archive(files)
    assert archive == _core.zip_archive(again)
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert z.testzip() is None
        assert [i.filename for i in z.infolist()] == [p for p, _ in files]
        for info, (_, data) in zip(z.infolist(), files, strict=True):
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644
            assert z.read(info) == data
            if info.filename.endswith(".png") or info.filename.endswith(".usdz"):
                assert info.compress_type == zipfile.ZIP_STORED


def test_document_files_split_the_document(worlds: dict[str, bytes]) -> None:
    doc = json.loads(worlds["small"])
    parts = dict(_core.export_document_files(worlds["small"]))
    assert json.loads(parts["world.json"]) == doc["world"]
    assert json.loads(parts["entities.json"]) == doc["entities"]
    assert json.loads(parts["narrative.json"]) == doc["narrative"]


def test_errors_name_their_kind(worlds: dict[str, bytes], exported: Callable[[str, str], dict[str, bytes]]) -> None:
    with pytest.raises(_core.ExportError) as bad_engine:
        _core.export_engine_files(worlds["small"], "quake")
    assert bad_engine.value.kind == "engine"
    for bad in [b"", b"{}", b"null", worlds["small"][:-10]]:
        with pytest.raises(_core.ExportError) as bad_doc:
            _core.export_engine_files(bad, "ue5")
        assert bad_doc.value.kind == "document"
    for path in ["/etc/passwd", "../x", "a/./b", "a\\b", ""]:
        with pytest.raises(_core.ExportError) as bad_path:
            _core.zip_archive([(path, b"x")])
        assert bad_path.value.kind == "archive"
    with pytest.raises(_core.ExportError):
        _core.zip_archive([("a", b"1"), ("a", b"2")])
    with pytest.raises(_core.ExportError):
        _core.zip_archive([("a", b"1")], stored_alignment=0)


names = st.lists(st.text("abcXYZ019_-.", min_size=1, max_size=12), min_size=1, max_size=3).map("/".join)


@settings(max_examples=150, deadline=None)
@given(
    entries=st.dictionaries(names, st.binary(max_size=3000), max_size=8),
    align=st.sampled_from([None, 64, 4096]),
)
def test_any_safe_entries_round_trip_through_zipfile(entries: dict[str, bytes], align: int | None) -> None:
    items = [(p, d) for p, d in entries.items() if all(s not in {".", ".."} for s in p.split("/"))]
    archive = _core.zip_archive(items, stored_alignment=align)
    assert archive == _core.zip_archive(items, stored_alignment=align)
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert z.testzip() is None
        assert [(i.filename, z.read(i)) for i in z.infolist()] == items
        if align is not None:
            for info in z.infolist():
                assert info.compress_type == zipfile.ZIP_STORED
                name_len, extra_len = (
                    int.from_bytes(archive[info.header_offset + 26 : info.header_offset + 28], "little"),
                    int.from_bytes(archive[info.header_offset + 28 : info.header_offset + 30], "little"),
                )
                assert (info.header_offset + 30 + name_len + extra_len) % align == 0


def test_png_encoder_matches_pillow_decode() -> None:
    from PIL import Image

    samples = [(i * 7919) % 65536 for i in range(37 * 23)]
    png = _core.png_gray16(37, 23, b"".join(v.to_bytes(2, "little") for v in samples))
    image = Image.open(io.BytesIO(png))
    assert image.size == (37, 23)
    assert list(image.get_flattened_data()) == samples
    with pytest.raises(_core.ExportError):
        _core.png_gray16(2, 2, b"\x00\x00")
