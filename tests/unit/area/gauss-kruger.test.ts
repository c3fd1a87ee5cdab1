import { describe, it, expect } from 'vitest';
import proj4 from 'proj4';
import geographiclib from 'geographiclib-geodesic';
import {
  geographicToGk,
  gkToGeographic,
  nearestCentralMeridian3,
  zoneFromNumber,
} from '../../../src/domain/area/gauss-kruger.js';
import { CGCS2000_A, CGCS2000_F } from '../../../src/domain/area/cgcs2000.js';

// proj4js maps +proj=tmerc to its extended (Poder/Engsager) transverse Mercator: an independent
// implementation of the same exact-to-nanometres mathematics.
const ZONE39_PREFIXED = '+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=39500000 +y_0=0 +ellps=GRS80 +units=m';
const CM114_PLAIN = '+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m';

/** Jiangxi: lon 113.5–118.5, lat 24.5–30, on a 0.125° grid. */
function jiangxiGrid(): [number, number][] {
  const pts: [number, number][] = [];
  for (let lon = 113.5; lon <= 118.5 + 1e-9; lon += 0.125) {
    for (let lat = 24.5; lat <= 30 + 1e-9; lat += 0.125) pts.push([lon, lat]);
  }
  return pts;
}

/** Metres on the ground for a small lon/lat difference (good enough for a < 0.1 mm check). */
function groundDistance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const k = (Math.PI / 180) * 6378137;
  return Math.hypot((lon1 - lon2) * k * Math.cos((lat1 * Math.PI) / 180), (lat1 - lat2) * k);
}

describe('zoneFromNumber', () => {
  it('maps a 3-degree zone to its central meridian and false easting', () => {
    expect(zoneFromNumber(39, true)).toEqual({ centralMeridian: 117, falseEasting: 39500000, falseNorthing: 0 });
    expect(zoneFromNumber(39, false)).toEqual({ centralMeridian: 117, falseEasting: 500000, falseNorthing: 0 });
    expect(zoneFromNumber(38, true)).toEqual({ centralMeridian: 114, falseEasting: 38500000, falseNorthing: 0 });
    expect(zoneFromNumber(25, false).centralMeridian).toBe(75);
    expect(zoneFromNumber(45, true).falseEasting).toBe(45500000);
  });

  it('rejects non-zones', () => {
    expect(() => zoneFromNumber(0, true)).toThrow(RangeError);
    expect(() => zoneFromNumber(39.5, true)).toThrow(RangeError);
    expect(() => zoneFromNumber(121, false)).toThrow(RangeError);
  });

  it('nearestCentralMeridian3 rounds to the nearest multiple of 3', () => {
    expect(nearestCentralMeridian3(117)).toBe(117);
    expect(nearestCentralMeridian3(118.4)).toBe(117);
    expect(nearestCentralMeridian3(118.6)).toBe(120);
    expect(nearestCentralMeridian3(115.6)).toBe(117);
    expect(nearestCentralMeridian3(115.4)).toBe(114);
  });
});

describe('Gauss–Krüger against proj4 over Jiangxi', () => {
  const grid = jiangxiGrid();

  it('forward agrees with proj4 to < 0.1 mm (zone 39, prefixed)', () => {
    const p = proj4('EPSG:4326', ZONE39_PREFIXED);
    const zone = zoneFromNumber(39, true);
    let worst = 0;
    for (const [lon, lat] of grid) {
      const [e, n] = geographicToGk(lon, lat, zone);
      const [pe, pn] = p.forward<[number, number]>([lon, lat]);
      worst = Math.max(worst, Math.hypot(e - pe, n - pn));
    }
    // Measured: ~7e-9 m.
    expect(worst).toBeLessThan(1e-4);
  });

  it('inverse agrees with proj4 to < 0.1 mm on the ground (zone 39, prefixed)', () => {
    const p = proj4('EPSG:4326', ZONE39_PREFIXED);
    const zone = zoneFromNumber(39, true);
    let worst = 0;
    for (const [lon, lat] of grid) {
      const [pe, pn] = p.forward<[number, number]>([lon, lat]);
      const [mlon, mlat] = gkToGeographic(pe, pn, zone);
      const [plon, plat] = p.inverse<[number, number]>([pe, pn]);
      worst = Math.max(worst, groundDistance(mlon, mlat, plon, plat));
    }
    // Measured: ~3e-9 m.
    expect(worst).toBeLessThan(1e-4);
  });

  it('agrees with proj4 in the unprefixed CM 114°E system too', () => {
    const p = proj4('EPSG:4326', CM114_PLAIN);
    const zone = zoneFromNumber(38, false);
    let worst = 0;
    for (const [lon, lat] of grid) {
      if (Math.abs(lon - 114) > 3) continue;
      const [e, n] = geographicToGk(lon, lat, zone);
      const [pe, pn] = p.forward<[number, number]>([lon, lat]);
      worst = Math.max(worst, Math.hypot(e - pe, n - pn));
      const [mlon, mlat] = gkToGeographic(pe, pn, zone);
      const [plon, plat] = p.inverse<[number, number]>([pe, pn]);
      worst = Math.max(worst, groundDistance(mlon, mlat, plon, plat));
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('round trip plane → lon/lat → plane is < 1e-6 m', () => {
    const zone = zoneFromNumber(39, true);
    let worst = 0;
    for (let e = 39500000 - 350000; e <= 39500000 + 350000; e += 25000) {
      for (let n = 2700000; n <= 3340000; n += 20000) {
        const [lon, lat] = gkToGeographic(e, n, zone);
        const [e2, n2] = geographicToGk(lon, lat, zone);
        worst = Math.max(worst, Math.hypot(e2 - e, n2 - n));
      }
    }
    // Measured: ~1e-9 m (floating point at 4e7 m eastings).
    expect(worst).toBeLessThan(1e-6);
  });
});

describe('Gauss–Krüger against geodesic facts (geographiclib)', () => {
  const geod = new geographiclib.Geodesic.Geodesic(CGCS2000_A, CGCS2000_F);

  it('northing on the central meridian is the meridian arc length (k0 = 1)', () => {
    const zone = zoneFromNumber(39, false);
    for (const lat of [0, 3, 24.5, 28, 30, 45, 54]) {
      const [e, n] = geographicToGk(117, lat, zone);
      const arc = geod.Inverse(0, 117, lat, 117).s12 as number;
      expect(e).toBeCloseTo(500000, 9);
      expect(Math.abs(n - arc)).toBeLessThan(1e-6);
    }
  });

  it('is conformal with scale 1 on the CM: a short east–west step off the CM has its geodesic length', () => {
    const zone = zoneFromNumber(39, false);
    const [lon, lat] = gkToGeographic(500001, 3100000, zone);
    const [lon0, lat0] = gkToGeographic(500000, 3100000, zone);
    const s = geod.Inverse(lat0, lon0, lat, lon).s12 as number;
    expect(Math.abs(s - 1)).toBeLessThan(1e-8);
  });

  it('is symmetric about the central meridian and the false easting', () => {
    const zone = zoneFromNumber(39, true);
    const [e1, n1] = geographicToGk(117 + 1.3, 27.2, zone);
    const [e2, n2] = geographicToGk(117 - 1.3, 27.2, zone);
    expect(e1 - 39500000).toBeCloseTo(39500000 - e2, 6);
    expect(n1).toBeCloseTo(n2, 6);
  });
});
