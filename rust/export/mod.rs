//! Engine exports (CONTRACT §9): the import files of nine game engines made from a world
//! document, and the deterministic ZIP that carries them.
//!
//! Everything here is a pure function of its input bytes: no clock, no randomness, no
//! hash-map order, no platform maths (only IEEE-exact operations and `sqrt`), and a
//! pinned deflate, so the same world and engine give the same bytes on every machine.
//! Signing and storage live in the Python shell, which hashes these files into the
//! bundle manifest (§9.2).
//!
//! - `engines.rs`: the targets and what each bundle holds (`docs/exports.md`);
//! - `grid.rs`, `png.rs`: 16-bit heightmaps (resampling, RAW/R16, PNG);
//! - `mesh.rs`, `gltf.rs`, `usd.rs`: the terrain as glTF 2.0 binary and as USDZ;
//! - `zip.rs`: the deterministic ZIP writer (bundles and USDZ packages);
//! - `world.rs`: the checked view of the world document the encoders read.

mod engines;
mod errors;
mod gltf;
mod grid;
mod mesh;
mod png;
mod text;
mod usd;
mod world;
pub mod zip;

pub use engines::{Engine, ENGINES, FORMAT_VERSION};
pub use errors::ExportError;
pub use world::World;

/// The engine with this id.
pub fn engine(id: &str) -> Result<&'static Engine, ExportError> {
    engines::engine(id)
}

/// The files of `engine_id`'s bundle (paths as in `Engine::files`, in that order).
pub fn engine_files(world: &[u8], engine_id: &str) -> Result<Vec<(String, Vec<u8>)>, ExportError> {
    let engine = engines::engine(engine_id)?;
    let world = World::from_bytes(world)?;
    engines::files(&world, engine)
}

/// `world.json`, `entities.json`, `narrative.json`: the document's three members, each
/// as canonical JSON (RFC 8785) so they hash the same everywhere.
pub fn document_files(world: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ExportError> {
    // Checks the document the same way the engine files do.
    World::from_bytes(world)?;
    let doc: serde_json::Value = serde_json::from_slice(world)
        .map_err(|e| ExportError::document(format!("not a world document: {e}")))?;
    let mut out = Vec::with_capacity(3);
    for (member, path) in [
        ("world", "world.json"),
        ("entities", "entities.json"),
        ("narrative", "narrative.json"),
    ] {
        let value = doc
            .get(member)
            .ok_or_else(|| ExportError::document(format!("no {member:?} member")))?;
        let bytes = crate::canonical::to_canonical(value)
            .map_err(|e| ExportError::document(e.to_string()))?;
        out.push((path.to_owned(), bytes));
    }
    Ok(out)
}

/// The terrain (and markers) as a `.glb`, as the Blender and WebGPU bundles hold it.
pub fn glb(world: &[u8]) -> Result<Vec<u8>, ExportError> {
    Ok(gltf::glb(&World::from_bytes(world)?, true))
}

/// The visionOS USDZ package.
pub fn usdz(world: &[u8]) -> Result<Vec<u8>, ExportError> {
    usd::usdz(&World::from_bytes(world)?)
}

/// A 16-bit grayscale PNG of `width` x `height` samples.
pub fn png_gray16(width: usize, height: usize, samples: &[u16]) -> Result<Vec<u8>, ExportError> {
    if width == 0 || height == 0 || width > 65_535 || height > 65_535 {
        return Err(ExportError::archive("PNG sides must be from 1 to 65535"));
    }
    if samples.len() != width * height {
        return Err(ExportError::archive("need exactly width * height samples"));
    }
    Ok(png::gray16(width, height, samples))
}

#[cfg(feature = "python")]
pub(crate) mod py;

#[cfg(test)]
mod tests;
