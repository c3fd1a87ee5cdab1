import { describe, it, expect } from 'vitest';
import { inferZoneFromPrefixedEastings, type CrsIdentification } from '../../../src/domain/crs/cgcs2000-crs.js';

function refusal(r: CrsIdentification): { code: string; message: string } {
  if (r.ok) throw new Error(`expected a refusal, got EPSG:${r.crs.epsg}`);
  return r;
}

describe('inferZoneFromPrefixedEastings', () => {
  it('accepts a zone-39 prefixed extent in Jiangxi → EPSG:4527', () => {
    const r = inferZoneFromPrefixedEastings({ minX: 39420000, maxX: 39610000, minY: 2720000, maxY: 3320000 });
    expect(r).toEqual({
      ok: true,
      crs: expect.objectContaining({ epsg: 4527, zone: 39, centralMeridian: 117, zonePrefixed: true, falseEasting: 39500000 }),
    });
  });

  it('accepts zone 38 (CM 114°E) → EPSG:4526, and a county 1.4° from the CM', () => {
    const z38 = inferZoneFromPrefixedEastings({ minX: 38400000, maxX: 38450000, minY: 2850000, maxY: 2900000 });
    expect(z38.ok && z38.crs.epsg).toBe(4526);
    const edge = inferZoneFromPrefixedEastings({ minX: 39600000, maxX: 39640000, minY: 3000000, maxY: 3050000 });
    expect(edge.ok && edge.crs.epsg).toBe(4527);
  });

  it('refuses lon/lat', () => {
    expect(inferZoneFromPrefixedEastings({ minX: 116.1, maxX: 116.9, minY: 27.5, maxY: 28.4 })).toEqual({
      ok: false,
      code: 'crs-lonlat-without-prj',
      message: '坐标看起来是经纬度，但缺少.prj文件，无法确定坐标系',
    });
  });

  it('refuses unprefixed eastings', () => {
    expect(inferZoneFromPrefixedEastings({ minX: 420000, maxX: 610000, minY: 2720000, maxY: 3320000 })).toEqual({
      ok: false,
      code: 'crs-easting-without-zone',
      message: '东坐标不含带号，无法推断投影带，请提供.prj文件',
    });
  });

  it('refuses an extent across two zones', () => {
    const r = refusal(inferZoneFromPrefixedEastings({ minX: 38600000, maxX: 39400000, minY: 2800000, maxY: 2900000 }));
    expect(r.code).toBe('crs-multiple-zones');
    expect(r.message).toContain('范围跨越多个投影带');
  });

  it('refuses northings outside China (3°N–54°N)', () => {
    const south = refusal(inferZoneFromPrefixedEastings({ minX: 39450000, maxX: 39550000, minY: 100000, maxY: 200000 }));
    expect(south.code).toBe('crs-northing-outside-china');
    expect(south.message).toMatch(/北坐标/);
    const north = refusal(inferZoneFromPrefixedEastings({ minX: 39450000, maxX: 39550000, minY: 6500000, maxY: 6600000 }));
    expect(north.code).toBe('crs-northing-outside-china');
  });

  it('refuses zone numbers outside 25..45, hinting at 6-degree zones for 13..23', () => {
    const six = refusal(inferZoneFromPrefixedEastings({ minX: 20450000, maxX: 20550000, minY: 3000000, maxY: 3100000 }));
    expect(six.code).toBe('crs-zone-outside-china');
    expect(six.message).toContain('6度带');
    expect(
      refusal(inferZoneFromPrefixedEastings({ minX: 50450000, maxX: 50550000, minY: 3000000, maxY: 3100000 })).code,
    ).toBe('crs-zone-outside-china');
  });

  it('refuses eastings farther from the CM than the zone can hold', () => {
    const r = refusal(inferZoneFromPrefixedEastings({ minX: 39050000, maxX: 39100000, minY: 3000000, maxY: 3100000 }));
    expect(r.code).toBe('crs-easting-outside-zone');
    // The limit shrinks northwards: 250 km off the CM is fine at 25°N, not at 50°N.
    expect(inferZoneFromPrefixedEastings({ minX: 39250000, maxX: 39260000, minY: 2770000, maxY: 2780000 }).ok).toBe(true);
    expect(inferZoneFromPrefixedEastings({ minX: 39250000, maxX: 39260000, minY: 5540000, maxY: 5550000 }).ok).toBe(false);
  });

  it('recognises swapped axes (northing first)', () => {
    expect(
      refusal(inferZoneFromPrefixedEastings({ minX: 2720000, maxX: 3320000, minY: 39420000, maxY: 39610000 })).code,
    ).toBe('crs-axes-swapped');
  });

  it('refuses invalid or implausible extents', () => {
    expect(refusal(inferZoneFromPrefixedEastings({ minX: NaN, maxX: 1, minY: 0, maxY: 1 })).code).toBe('crs-extent-invalid');
    expect(refusal(inferZoneFromPrefixedEastings({ minX: 39500000, maxX: 39400000, minY: 3e6, maxY: 3.1e6 })).code).toBe(
      'crs-extent-invalid',
    );
    expect(refusal(inferZoneFromPrefixedEastings({ minX: -5000, maxX: 20000, minY: -300, maxY: 4000 })).code).toBe(
      'crs-coordinates-implausible',
    );
  });

  it('every refusal has a stable kebab-case code and a Chinese message', () => {
    const extents = [
      { minX: 116.1, maxX: 116.9, minY: 27.5, maxY: 28.4 },
      { minX: 420000, maxX: 610000, minY: 2720000, maxY: 3320000 },
      { minX: 38600000, maxX: 39400000, minY: 2800000, maxY: 2900000 },
      { minX: 39450000, maxX: 39550000, minY: 100000, maxY: 200000 },
    ];
    for (const e of extents) {
      const r = refusal(inferZoneFromPrefixedEastings(e));
      expect(r.code).toMatch(/^crs-[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(r.message).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});
