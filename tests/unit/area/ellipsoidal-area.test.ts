import { describe, it, expect } from 'vitest';
import proj4 from 'proj4';
import geographiclib from 'geographiclib-geodesic';
import { area as turfArea } from '@turf/area';
import { polygon as turfPolygon } from '@turf/helpers';
import {
  densifyPlaneRing,
  ellipsoidalRingArea,
  officialAreaGeographic,
  officialAreaGeographicMulti,
  officialAreaGk,
  officialAreaGkMulti,
} from '../../../src/domain/area/ellipsoidal-area.js';
import { gkToGeographic, zoneFromNumber } from '../../../src/domain/area/gauss-kruger.js';
import { trapezoidArea } from '../../../src/domain/area/trapezoid.js';
import { CGCS2000_A, CGCS2000_B, CGCS2000_E, CGCS2000_E2, CGCS2000_F } from '../../../src/domain/area/cgcs2000.js';
import { SQM_PER_MU } from '../../../src/domain/units.js';

type XY = [number, number];
type Poly = XY[][];

const ZONE39 = zoneFromNumber(39, true);
const ZONE39_PROJ4 = '+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=39500000 +y_0=0 +ellps=GRS80 +units=m';
const toLonLat39 = proj4(ZONE39_PROJ4, 'EPSG:4326');
const geod = new geographiclib.Geodesic.Geodesic(CGCS2000_A, CGCS2000_F);

// Parcels in zone 39 around 28°N (N ≈ 3 100 km), 50 km east of the CM unless stated.
const E0 = 39550000;
const N0 = 3100000;
const square = (side: number, e = E0, n = N0): XY[] => [
  [e, n],
  [e + side, n],
  [e + side, n + side],
  [e, n + side],
  [e, n],
];
const shift = (ring: XY[], de: number, dn: number): XY[] => ring.map(([e, n]) => [e + de, n + dn]);

const FIXTURES: Record<string, Poly> = {
  'square 100 m': [square(100)],
  'irregular parcel ≈ 1.1 km²': [shift([[0, 0], [1210, 40], [1150, 930], [300, 1010], [-80, 520], [0, 0]], E0, N0)],
  'parcel ≈ 500 亩': [shift([[0, 0], [585, -20], [612, 545], [20, 574], [0, 0]], E0, N0)],
  'parcel with a hole': [square(500), shift([[100, 100], [100, 300], [350, 300], [350, 100], [100, 100]], E0, N0)],
  'block 10 km × 10 km': [square(10000)],
  'square 300 m, 1.4° east of the CM': [square(300, 39500000 + 137600)],
  'irregular parcel, 1.4° west of the CM': [
    shift([[0, 0], [500, 120], [200, 700], [-300, 400], [0, 0]], 39500000 - 137600, N0),
  ],
};

/** Independent reference: proj4 inverse of the densified plane ring, geographiclib geodesic area. */
function geodesicReference(polygon: Poly, densify: number): number {
  let total = 0;
  polygon.forEach((ring, i) => {
    const pts = densifyPlaneRing(ring, densify);
    const pa = geod.Polygon(false);
    for (let k = 0; k < pts.length - 1; k++) {
      const [lon, lat] = toLonLat39.forward<XY>(pts[k] as XY);
      pa.AddPoint(lat, lon);
    }
    const a = Math.abs(pa.Compute(false, true).area as number);
    total += i === 0 ? a : -a;
  });
  return total;
}

const toGeographic = (polygon: Poly): Poly => polygon.map((r) => r.map(([e, n]) => gkToGeographic(e, n, ZONE39)));

describe('official area against geographiclib (independent geodesic polygon area)', () => {
  // Formula check: with vertices every 5 m, lon/lat-straight, trapezoid-summed edges and geodesic
  // edges enclose the same area to well below 1e-3 m² (the difference shrinks as spacing²).
  for (const [name, polygon] of Object.entries(FIXTURES)) {
    it(`ellipsoidalRingArea matches on 5 m-densified vertices: ${name}`, () => {
      let ours = 0;
      polygon.forEach((ring, i) => {
        const ll = densifyPlaneRing(ring, 5).map(([e, n]) => toLonLat39.forward<XY>([e, n]));
        const a = Math.abs(ellipsoidalRingArea(ll));
        ours += i === 0 ? a : -a;
      });
      expect(Math.abs(ours - geodesicReference(polygon, 5))).toBeLessThan(1e-3);
    });
  }

  // The official 70 m procedure. Measured |official − geodesic| (m²): square 100 m 2e-7,
  // 500 亩 2e-4, hole 1e-6, 10 km block 4e-4, 1.4° E square 4e-7; irregular ≈ 1.1 km² 1.47e-2,
  // irregular 1.4° W 1.09e-2.
  const TOLERANCE: Record<string, number> = {
    // Parcels whose long edges run oblique to the graticule: the official per-edge trapezoid
    // (mean longitude × latitude step) and the lon/lat-straight edge each differ from the geodesic
    // at second order in edge length; at 70 m this sums to ~0.01–0.015 m². It is the 70 m rule,
    // not an error here (see the convergence test below).
    'irregular parcel ≈ 1.1 km²': 0.02,
    'irregular parcel, 1.4° west of the CM': 0.02,
  };
  for (const [name, polygon] of Object.entries(FIXTURES)) {
    const tol = TOLERANCE[name] ?? 0.01;
    it(`officialAreaGk (70 m) matches within ${tol} m²: ${name}`, () => {
      const ours = officialAreaGk(polygon, ZONE39);
      expect(Math.abs(ours - geodesicReference(polygon, 70))).toBeLessThan(tol);
    });
  }

  it('the residual on oblique edges is second order: halving the spacing quarters it', () => {
    const polygon = FIXTURES['irregular parcel ≈ 1.1 km²'] as Poly;
    const truth = geodesicReference(polygon, 2);
    const err70 = Math.abs(officialAreaGk(polygon, ZONE39, { densify: 70 }) - truth);
    const err35 = Math.abs(officialAreaGk(polygon, ZONE39, { densify: 35 }) - truth);
    const err10 = Math.abs(officialAreaGk(polygon, ZONE39, { densify: 10 }) - truth);
    expect(err70).toBeGreaterThan(0.005);
    expect(err35).toBeLessThan(err70 / 3);
    expect(err10).toBeLessThan(0.001);
  });

  it('the 10 km block needs densification: without it the trapezoid and geodesic areas differ by metres²', () => {
    const polygon = FIXTURES['block 10 km × 10 km'] as Poly;
    const undensified = officialAreaGk(polygon, ZONE39, { densify: 0 });
    const densified = officialAreaGk(polygon, ZONE39);
    const geodesic4 = geodesicReference(polygon, 0);
    // Four 10 km edges: lon/lat-straight vs geodesic vs GK-straight edges differ by ~9–12 m².
    expect(Math.abs(undensified - geodesic4)).toBeGreaterThan(1);
    expect(Math.abs(undensified - densified)).toBeGreaterThan(1);
    expect(Math.abs(densified - geodesicReference(polygon, 70))).toBeLessThan(0.01);
  });
});

describe('hand-worked check: a lat/lon cell at 28°N from the closed-form zone area', () => {
  // Area between the equator and latitude B per radian of longitude:
  //   b²/2 · [sinB/(1 − e²sin²B) + 1/(2e)·ln((1 + e·sinB)/(1 − e·sinB))]
  // (the authalic-latitude formula), so a cell is ΔL·(that(B2) − that(B1)).
  const zoneArea = (latDeg: number): number => {
    const s = Math.sin((latDeg * Math.PI) / 180);
    return (
      (CGCS2000_B ** 2 / 2) *
      (s / (1 - CGCS2000_E2 * s * s) + (1 / (2 * CGCS2000_E)) * Math.log((1 + CGCS2000_E * s) / (1 - CGCS2000_E * s)))
    );
  };
  const cell = (lon: number, lat: number, d: number): XY[] => [
    [lon, lat],
    [lon + d, lat],
    [lon + d, lat + d],
    [lon, lat + d],
    [lon, lat],
  ];

  for (const d of [0.01, 1 / 60]) {
    it(`${d === 0.01 ? '0.01°' : "1′"} cell: series = closed form to 0.01 m²`, () => {
      const expected = ((d * Math.PI) / 180) * (zoneArea(28 + d) - zoneArea(28));
      const ours = ellipsoidalRingArea(cell(116, 28, d));
      expect(ours).toBeGreaterThan(0); // counter-clockwise
      expect(Math.abs(ours - expected)).toBeLessThan(0.01);
      // The two agree far better than required (series truncation ~1e-14 relative).
      expect(Math.abs(ours - expected) / expected).toBeLessThan(1e-10);
      // The bare trapezoid formula (ΔL = cell width) is the same number.
      const rad = Math.PI / 180;
      expect(Math.abs(trapezoidArea(d * rad, 28 * rad, (28 + d) * rad) - expected)).toBeLessThan(0.01);
    });
  }

  it('the 0.01° cell at 28°N is 1 089 991.29 m² (≈ M·N·cos B·ΔB·ΔL = 1108.2 m × 983.6 m)', () => {
    expect(ellipsoidalRingArea(cell(116, 28, 0.01))).toBeCloseTo(1089991.29, 2);
  });
});

describe('Turf (spherical) area is not the area of record', () => {
  it('is ≈ 0.15 % larger at 28°N: ≈ 0.76 亩 on a 500 亩 parcel', () => {
    const polygon = FIXTURES['parcel ≈ 500 亩'] as Poly;
    const official = officialAreaGk(polygon, ZONE39);
    const spherical = turfArea(turfPolygon(toGeographic(polygon)));
    const relative = spherical / official - 1;
    expect(relative).toBeGreaterThan(0.0014);
    expect(relative).toBeLessThan(0.0016);
    const excessMu = (spherical - official) / SQM_PER_MU;
    expect(excessMu).toBeGreaterThan(0.7);
    expect(excessMu).toBeLessThan(0.8);
  });
});

describe('officialAreaGk', () => {
  it('equals the explicit pipeline densify → inverse-project → trapezoid sum', () => {
    for (const polygon of Object.values(FIXTURES)) {
      let explicit = 0;
      polygon.forEach((ring, i) => {
        const ll = densifyPlaneRing(ring, 70).map(([e, n]) => gkToGeographic(e, n, ZONE39));
        const a = Math.abs(ellipsoidalRingArea(ll));
        explicit += i === 0 ? a : -a;
      });
      expect(Math.abs(officialAreaGk(polygon, ZONE39) - explicit)).toBeLessThan(1e-6);
    }
  });

  it('is smaller than the plane area by the GK area scale (1/k²) away from the CM', () => {
    const polygon = FIXTURES['square 300 m, 1.4° east of the CM'] as Poly;
    const ours = officialAreaGk(polygon, ZONE39);
    // k ≈ 1 + y²/(2R²) with y the mean offset from the CM, R² = M·N at the parcel.
    const [, lat] = gkToGeographic(39500000 + 137750, N0 + 150, ZONE39);
    const s2 = Math.sin((lat * Math.PI) / 180) ** 2;
    const w = Math.sqrt(1 - CGCS2000_E2 * s2);
    const R2 = ((CGCS2000_A * (1 - CGCS2000_E2)) / w ** 3) * (CGCS2000_A / w);
    const k = 1 + 137750 ** 2 / (2 * R2);
    expect(ours / (90000 / (k * k)) - 1).toBeLessThan(1e-6);
    expect(90000 - ours).toBeGreaterThan(40); // ≈ 0.046 %
  });

  it('does not depend on ring orientation or on the closing vertex', () => {
    const ring = (FIXTURES['parcel ≈ 500 亩'] as Poly)[0] as XY[];
    const a = officialAreaGk([ring], ZONE39);
    expect(officialAreaGk([[...ring].reverse()], ZONE39)).toBeCloseTo(a, 6);
    expect(officialAreaGk([ring.slice(0, -1)], ZONE39)).toBeCloseTo(a, 6);
  });

  it('subtracts holes whatever their orientation', () => {
    const [outer, hole] = FIXTURES['parcel with a hole'] as [XY[], XY[]];
    const expected = officialAreaGk([outer], ZONE39) - officialAreaGk([hole], ZONE39);
    expect(officialAreaGk([outer, hole], ZONE39)).toBeCloseTo(expected, 6);
    expect(officialAreaGk([outer, [...hole].reverse()], ZONE39)).toBeCloseTo(expected, 6);
    expect(expected).toBeGreaterThan(199980);
    expect(expected).toBeLessThan(200000);
  });

  it('gives the same area for prefixed and unprefixed eastings', () => {
    const polygon = FIXTURES['irregular parcel ≈ 1.1 km²'] as Poly;
    const unprefixed = polygon.map((r) => shift(r, -39000000, 0));
    expect(officialAreaGk(unprefixed, zoneFromNumber(39, false))).toBeCloseTo(officialAreaGk(polygon, ZONE39), 6);
  });

  it('sums multipolygon parts', () => {
    const a = FIXTURES['square 100 m'] as Poly;
    const b = FIXTURES['parcel with a hole'] as Poly;
    expect(officialAreaGkMulti([a, b], ZONE39)).toBeCloseTo(officialAreaGk(a, ZONE39) + officialAreaGk(b, ZONE39), 6);
    expect(officialAreaGkMulti([], ZONE39)).toBe(0);
  });

  it('is 0 for degenerate rings', () => {
    expect(officialAreaGk([], ZONE39)).toBe(0);
    expect(officialAreaGk([[[E0, N0], [E0 + 10, N0], [E0, N0]]], ZONE39)).toBe(0);
  });
});

describe('ellipsoidalRingArea', () => {
  const ring: XY[] = [
    [116, 28],
    [116.01, 28],
    [116.01, 28.01],
    [116, 28.01],
  ];
  it('is signed: counter-clockwise positive, clockwise negative; closing vertex optional', () => {
    const ccw = ellipsoidalRingArea(ring);
    expect(ccw).toBeGreaterThan(0);
    expect(ellipsoidalRingArea([...ring].reverse())).toBeCloseTo(-ccw, 6);
    expect(ellipsoidalRingArea([...ring, ring[0] as XY])).toBeCloseTo(ccw, 9);
  });
  it('accepts GeoJSON-style number[] positions', () => {
    const positions: number[][] = ring.map((p) => [...p]);
    expect(ellipsoidalRingArea(positions)).toBe(ellipsoidalRingArea(ring));
  });
});

describe('officialAreaGeographic (geometry already in EPSG:4490)', () => {
  for (const [name, polygon] of Object.entries(FIXTURES)) {
    it(`GK → lon/lat → area equals the plane computation within 0.01 m²: ${name}`, () => {
      const plane = officialAreaGk(polygon, ZONE39);
      const geographic = officialAreaGeographic(toGeographic(polygon));
      // Measured < 1e-6 m²: the same densification points are reproduced in the same plane.
      expect(Math.abs(geographic - plane)).toBeLessThan(0.01);
    });
  }

  it('picks the zone nearest the bbox centre (CM 114 for a parcel at 114.4°E)', () => {
    const zone38 = zoneFromNumber(38, true);
    const ring: XY[] = shift([[0, 0], [1500, 200], [1300, 1400], [-200, 900], [0, 0]], 38500000 + 40000, 2900000);
    const plane = officialAreaGk([ring], zone38);
    const ll = ring.map(([e, n]) => gkToGeographic(e, n, zone38));
    expect((ll[0] as XY)[0]).toBeGreaterThan(114.3);
    expect(Math.abs(officialAreaGeographic([ll]) - plane)).toBeLessThan(0.01);
    // Densifying in another zone's plane (2.6° off its CM) puts the inserted points on different
    // chords: on 1.5 km edges that moves the area by ~0.14 m², hence the explicit zone option.
    const forced = officialAreaGeographic([ll], { zone: ZONE39 });
    expect(Math.abs(forced - plane)).toBeGreaterThan(0.01);
    expect(Math.abs(forced - plane)).toBeLessThan(1);
  });

  it('honours an explicit zone (a parcel 1.6° from CM 117 kept in zone 39)', () => {
    const ring: XY[] = square(800, 39500000 + 157000);
    const plane = officialAreaGk([ring], ZONE39);
    const ll = ring.map(([e, n]) => gkToGeographic(e, n, ZONE39));
    expect((ll[0] as XY)[0]).toBeGreaterThan(118.5); // nearest CM would be 120
    expect(Math.abs(officialAreaGeographic([ll], { zone: ZONE39 }) - plane)).toBeLessThan(0.01);
  });

  it('sums multipolygons in one plane', () => {
    const a = toGeographic(FIXTURES['parcel ≈ 500 亩'] as Poly);
    const b = toGeographic(FIXTURES['parcel with a hole'] as Poly);
    const plane = officialAreaGkMulti([FIXTURES['parcel ≈ 500 亩'] as Poly, FIXTURES['parcel with a hole'] as Poly], ZONE39);
    expect(Math.abs(officialAreaGeographicMulti([a, b]) - plane)).toBeLessThan(0.01);
  });
});

describe('densifyPlaneRing', () => {
  const ring: XY[] = [[0, 0], [200, 0], [200, 70], [0, 70], [0, 0]];

  it('cuts every edge into equal pieces of at most maxSegment', () => {
    const d = densifyPlaneRing(ring);
    for (let i = 0; i + 1 < d.length; i++) {
      const [x1, y1] = d[i] as XY;
      const [x2, y2] = d[i + 1] as XY;
      expect(Math.hypot(x2 - x1, y2 - y1)).toBeLessThanOrEqual(70 + 1e-9);
    }
    // 200 m → 3 pieces, 70 m → 1 piece: 3 + 1 + 3 + 1 edges, closed.
    expect(d).toHaveLength(9);
    expect(d[0]).toEqual(d[d.length - 1]);
    expect(d[1]?.[0]).toBeCloseTo(200 / 3, 9);
  });

  it('keeps the original vertices and closure; densifies the implicit closing edge of an open ring', () => {
    const d = densifyPlaneRing(ring, 30);
    for (const v of ring) expect(d).toContainEqual(v);
    const open = densifyPlaneRing(ring.slice(0, -1), 30);
    expect(open).toHaveLength(d.length - 1);
    expect(open[open.length - 1]).not.toEqual(open[0]);
  });

  it('leaves short edges alone and honours maxSegment', () => {
    expect(densifyPlaneRing(square(50, 0, 0))).toEqual(square(50, 0, 0));
    expect(densifyPlaneRing(ring, 10)).toHaveLength(2 * 20 + 2 * 7 + 1);
  });
});
