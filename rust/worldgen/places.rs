//! Points of interest, the roads between them, and player spawn points.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::chacha::Stream;
use super::document::{Faction, Poi, Point, Road, SpawnPoint};
use super::narrative::place_name;
use super::params::Params;
use super::terrain::{tile, Terrain};

pub const MAX_POIS: usize = 80;
const MAX_SPAWN_POINTS: usize = 8;

pub fn poi_count(params: &Params, factions: usize) -> usize {
    let extra = params.area() * (500 + u64::from(params.density.milli())) / 700_000;
    (3 + extra as usize).clamp(factions + 1, MAX_POIS)
}

fn dist2(a: Point, b: Point) -> u64 {
    let dx = i64::from(a.x) - i64::from(b.x);
    let dy = i64::from(a.y) - i64::from(b.y);
    (dx * dx + dy * dy) as u64
}

fn isqrt(n: u64) -> u64 {
    let mut x = 0u64;
    while (x + 1) * (x + 1) <= n {
        x += 1;
    }
    x
}

fn place(
    rng: &mut Stream,
    terrain: &Terrain,
    params: &Params,
    placed: &[Point],
    min_d2: u64,
) -> Point {
    let mut last = Point { x: 0, y: 0 };
    for attempt in 0..120 {
        let p = Point {
            x: rng.below(params.width),
            y: rng.below(params.height),
        };
        last = p;
        // After 60 misses accept any buildable tile, so crowded small maps still fill up.
        let spaced = attempt >= 60 || placed.iter().all(|q| dist2(*q, p) >= min_d2);
        if spaced && terrain.buildable(p.x, p.y) && !placed.contains(&p) {
            return p;
        }
    }
    last
}

fn coastal(terrain: &Terrain, p: Point) -> bool {
    let (x, y) = (i64::from(p.x), i64::from(p.y));
    [(1, 0), (-1, 0), (0, 1), (0, -1)].iter().any(|(dx, dy)| {
        let (nx, ny) = (x + dx, y + dy);
        nx >= 0
            && ny >= 0
            && nx < terrain.width as i64
            && ny < terrain.height as i64
            && terrain.is_water(nx as u32, ny as u32)
    })
}

/// Places POIs. The first one per faction is its capital (a city, or a fort when
/// hostile) and becomes `home_poi`; settlements belong to the nearest friendly or neutral
/// capital, camps to the nearest hostile one, wild sites to nobody.
pub fn pois(seed: u64, params: &Params, terrain: &Terrain, factions: &mut [Faction]) -> Vec<Poi> {
    let mut rng = Stream::new(seed, "pois");
    let count = poi_count(params, factions.len());
    let min_d = (isqrt(params.area() / count as u64) / 2).max(3);
    let mut positions: Vec<Point> = Vec::with_capacity(count);
    let mut names = Vec::with_capacity(count);
    let mut list: Vec<Poi> = Vec::with_capacity(count);
    for i in 0..count {
        let position = place(&mut rng, terrain, params, &positions, min_d * min_d);
        positions.push(position);
        let name = place_name(&mut rng, &mut names);
        let id = format!("poi-{:03}", i + 1);
        let (kind, faction) = if let Some(f) = factions.get_mut(i) {
            f.home_poi = id.clone();
            let kind = if f.stance == "hostile" {
                "fort"
            } else {
                "city"
            };
            (kind, Some(f.id.clone()))
        } else {
            let on_hills = matches!(
                terrain.tile(position.x, position.y),
                tile::HILLS | tile::MOUNTAIN
            );
            let weights = [
                10,
                25,
                if coastal(terrain, position) { 15 } else { 0 },
                10,
                if on_hills { 15 } else { 3 },
                10,
                6,
                6,
                6,
            ];
            let kinds = [
                "town", "village", "port", "camp", "mine", "ruin", "cave", "shrine", "tower",
            ];
            let kind = kinds.get(rng.weighted(&weights)).copied().unwrap_or("ruin");
            let owner = match kind {
                "town" | "village" | "port" => nearest_capital(&list, factions, position, false),
                "camp" => nearest_capital(&list, factions, position, true),
                "mine" => nearest_capital(&list, factions, position, false)
                    .or_else(|| nearest_capital(&list, factions, position, true)),
                _ => None,
            };
            (kind, owner)
        };
        list.push(Poi {
            id,
            name,
            kind: kind.to_owned(),
            position,
            faction,
        });
    }
    list
}

fn nearest_capital(pois: &[Poi], factions: &[Faction], p: Point, hostile: bool) -> Option<String> {
    factions
        .iter()
        .zip(pois)
        .filter(|(f, _)| (f.stance == "hostile") == hostile)
        .min_by_key(|(_, poi)| dist2(poi.position, p))
        .map(|(f, _)| f.id.clone())
}

/// Roads along a minimum spanning tree of the POIs (Prim, ties to the lower index), each
/// routed by A* over terrain costs.
pub fn roads(terrain: &Terrain, pois: &[Poi]) -> Vec<Road> {
    let n = pois.len();
    if n < 2 {
        return Vec::new();
    }
    let mut in_tree = vec![false; n];
    let mut best: Vec<(u64, usize)> = vec![(u64::MAX, 0); n];
    if let Some(slot) = in_tree.first_mut() {
        *slot = true;
    }
    let position = |i: usize| pois.get(i).map_or(Point { x: 0, y: 0 }, |p| p.position);
    for (j, slot) in best.iter_mut().enumerate().skip(1) {
        *slot = (dist2(position(0), position(j)), 0);
    }
    let mut roads = Vec::with_capacity(n - 1);
    for _ in 1..n {
        let next = (0..n)
            .filter(|j| !in_tree.get(*j).copied().unwrap_or(true))
            .min_by_key(|j| (best.get(*j).map_or(u64::MAX, |b| b.0), *j));
        let Some(j) = next else { break };
        let from = best.get(j).map_or(0, |b| b.1);
        if let Some(slot) = in_tree.get_mut(j) {
            *slot = true;
        }
        for (k, slot) in best.iter_mut().enumerate() {
            if !in_tree.get(k).copied().unwrap_or(true) {
                let d = dist2(position(j), position(k));
                if d < slot.0 {
                    *slot = (d, j);
                }
            }
        }
        let (Some(a), Some(b)) = (pois.get(from), pois.get(j)) else {
            continue;
        };
        roads.push(Road {
            id: format!("road-{:03}", roads.len() + 1),
            from: a.id.clone(),
            to: b.id.clone(),
            path: route(terrain, a.position, b.position),
        });
    }
    roads
}

/// Cheapest 8-connected path from `a` to `b` inside their bounding box plus a margin.
/// Straight steps cost 10 and diagonal ones 14, times the entered tile's road cost; the
/// octile heuristic with the cheapest tile cost is admissible. Ties in the open set go to
/// the lower local index, so the path is deterministic.
pub fn route(terrain: &Terrain, a: Point, b: Point) -> Vec<[u32; 2]> {
    let (ax, ay, bx, by) = (
        i64::from(a.x),
        i64::from(a.y),
        i64::from(b.x),
        i64::from(b.y),
    );
    let margin = 6 + (ax - bx).abs().max((ay - by).abs()) / 4;
    let x0 = (ax.min(bx) - margin).max(0);
    let y0 = (ay.min(by) - margin).max(0);
    let x1 = (ax.max(bx) + margin).min(terrain.width as i64 - 1);
    let y1 = (ay.max(by) + margin).min(terrain.height as i64 - 1);
    let bw = (x1 - x0 + 1) as usize;
    let bh = (y1 - y0 + 1) as usize;
    let local = |x: i64, y: i64| (y - y0) as usize * bw + (x - x0) as usize;
    let heuristic = |x: i64, y: i64| {
        let dx = (x - bx).abs();
        let dy = (y - by).abs();
        (10 * dx.max(dy) + 4 * dx.min(dy)) as u64
    };
    let mut g = vec![u64::MAX; bw * bh];
    let mut parent = vec![usize::MAX; bw * bh];
    let mut open = BinaryHeap::new();
    let start = local(ax, ay);
    let goal = local(bx, by);
    if let Some(slot) = g.get_mut(start) {
        *slot = 0;
    }
    open.push(Reverse((heuristic(ax, ay), start)));
    while let Some(Reverse((_, current))) = open.pop() {
        if current == goal {
            break;
        }
        let cx = x0 + (current % bw) as i64;
        let cy = y0 + (current / bw) as i64;
        let gc = g.get(current).copied().unwrap_or(u64::MAX);
        for (dx, dy) in [
            (1, 0),
            (-1, 0),
            (0, 1),
            (0, -1),
            (1, 1),
            (-1, 1),
            (1, -1),
            (-1, -1),
        ] {
            let (nx, ny) = (cx + dx, cy + dy);
            if nx < x0 || ny < y0 || nx > x1 || ny > y1 {
                continue;
            }
            let step = if dx != 0 && dy != 0 { 14 } else { 10 };
            let cost = gc + step * u64::from(terrain.road_cost(nx as u32, ny as u32));
            let next = local(nx, ny);
            if g.get(next).is_some_and(|old| cost < *old) {
                if let Some(slot) = g.get_mut(next) {
                    *slot = cost;
                }
                if let Some(slot) = parent.get_mut(next) {
                    *slot = current;
                }
                open.push(Reverse((cost + heuristic(nx, ny), next)));
            }
        }
    }
    let mut path = Vec::new();
    let mut at = goal;
    while at != usize::MAX {
        path.push([
            (x0 + (at % bw) as i64) as u32,
            (y0 + (at / bw) as i64) as u32,
        ]);
        if at == start {
            break;
        }
        at = parent.get(at).copied().unwrap_or(usize::MAX);
    }
    path.reverse();
    path
}

/// Tiles around `center` ring by ring (Chebyshev radius 0, 1, 2, ...), each ring in
/// row-major order: a fixed, RNG-free order also used to spread spawned groups.
pub fn spiral(center: Point, max_radius: i64) -> impl Iterator<Item = (i64, i64)> {
    let (cx, cy) = (i64::from(center.x), i64::from(center.y));
    (0..=max_radius).flat_map(move |r| {
        (-r..=r).flat_map(move |dy| {
            (-r..=r)
                .filter(move |dx| dx.abs().max(dy.abs()) == r)
                .map(move |dx| (cx + dx, cy + dy))
        })
    })
}

/// Player spawn points: next to the capitals and settlements of friendly factions.
pub fn spawn_points(terrain: &Terrain, pois: &[Poi], factions: &[Faction]) -> Vec<SpawnPoint> {
    let friendly: Vec<&str> = factions
        .iter()
        .filter(|f| f.stance == "friendly")
        .map(|f| f.id.as_str())
        .collect();
    let mut list = Vec::new();
    for poi in pois {
        if list.len() >= MAX_SPAWN_POINTS {
            break;
        }
        let owner_friendly = poi
            .faction
            .as_deref()
            .is_some_and(|f| friendly.contains(&f));
        if !owner_friendly || !matches!(poi.kind.as_str(), "city" | "town" | "village" | "port") {
            continue;
        }
        let spot = spiral(poi.position, 4)
            .skip(1)
            .find(|(x, y)| {
                *x >= 0
                    && *y >= 0
                    && *x < terrain.width as i64
                    && *y < terrain.height as i64
                    && terrain.buildable(*x as u32, *y as u32)
            })
            .map_or(poi.position, |(x, y)| Point {
                x: x as u32,
                y: y as u32,
            });
        list.push(SpawnPoint {
            id: format!("spawn-{}", list.len() + 1),
            position: spot,
            poi: poi.id.clone(),
        });
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spiral_rings() {
        let c = Point { x: 5, y: 5 };
        let first: Vec<(i64, i64)> = spiral(c, 1).collect();
        assert_eq!(first.len(), 9);
        assert_eq!(first[0], (5, 5));
        assert_eq!(spiral(c, 2).count(), 25);
    }

    #[test]
    fn isqrt_exact() {
        for n in 0..500u64 {
            let r = isqrt(n);
            assert!(r * r <= n && (r + 1) * (r + 1) > n);
        }
    }
}
