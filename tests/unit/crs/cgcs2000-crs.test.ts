import { describe, it, expect } from 'vitest';
import {
  crsFromEpsg,
  epsgForZone,
  identifyCrsFromProj4,
  type CrsIdentification,
  type CrsInfo,
} from '../../../src/domain/crs/cgcs2000-crs.js';

const gk = (cm: number, x0: number, extra = '+ellps=GRS80 +units=m +no_defs'): string =>
  `+proj=tmerc +lat_0=0 +lon_0=${cm} +k=1 +x_0=${x0} +y_0=0 ${extra}`;

function accepted(r: CrsIdentification): CrsInfo {
  if (!r.ok) throw new Error(`expected acceptance, got ${r.code}: ${r.message}`);
  return r.crs;
}

function refused(r: CrsIdentification, code: string): string {
  if (r.ok) throw new Error(`expected ${code}, got EPSG:${r.crs.epsg}`);
  expect(r.code).toBe(code);
  expect(r.code).toMatch(/^crs-[a-z0-9]+(-[a-z0-9]+)*$/);
  expect(r.message).toMatch(/[\u4e00-\u9fff]/); // Chinese, for users
  return r.message;
}

describe('EPSG table', () => {
  it('4490 is CGCS2000 lon/lat', () => {
    expect(crsFromEpsg(4490)).toEqual({ epsg: 4490, kind: 'geographic', label: expect.stringContaining('4490') });
  });

  it('4513+i is zone 25+i, CM 75+3i, zone-prefixed eastings', () => {
    for (let i = 0; i <= 20; i++) {
      expect(crsFromEpsg(4513 + i)).toEqual({
        epsg: 4513 + i,
        kind: 'gauss-kruger',
        zone: 25 + i,
        centralMeridian: 75 + 3 * i,
        zonePrefixed: true,
        falseEasting: (25 + i) * 1e6 + 500000,
        label: expect.stringContaining(`EPSG:${4513 + i}`),
      });
    }
  });

  it('4534+i is CM 75+3i (zone 25+i), false easting 500 000', () => {
    for (let i = 0; i <= 20; i++) {
      expect(crsFromEpsg(4534 + i)).toEqual({
        epsg: 4534 + i,
        kind: 'gauss-kruger',
        zone: 25 + i,
        centralMeridian: 75 + 3 * i,
        zonePrefixed: false,
        falseEasting: 500000,
        label: expect.stringContaining(`${75 + 3 * i}°E`),
      });
    }
  });

  it('spot checks: 4527 = zone 39 (117°E) prefixed, 4548 = CM 117E, 4526 = zone 38 (114°E)', () => {
    expect(crsFromEpsg(4527)).toMatchObject({ zone: 39, centralMeridian: 117, falseEasting: 39500000 });
    expect(crsFromEpsg(4548)).toMatchObject({ zone: 39, centralMeridian: 117, falseEasting: 500000 });
    expect(crsFromEpsg(4526)).toMatchObject({ zone: 38, centralMeridian: 114, falseEasting: 38500000 });
    expect(crsFromEpsg(4547)).toMatchObject({ zone: 38, centralMeridian: 114, zonePrefixed: false });
  });

  it('other codes are not ours', () => {
    for (const epsg of [4326, 4214, 4610, 4491, 4512, 4555, 2437, 3857, 0, -1, 4513.5]) {
      expect(crsFromEpsg(epsg)).toBeUndefined();
    }
  });

  it('epsgForZone inverts the table and rejects zones outside 25..45', () => {
    for (let z = 25; z <= 45; z++) {
      expect(crsFromEpsg(epsgForZone(z, true))).toMatchObject({ zone: z, zonePrefixed: true });
      expect(crsFromEpsg(epsgForZone(z, false))).toMatchObject({ zone: z, zonePrefixed: false });
    }
    expect(epsgForZone(39, true)).toBe(4527);
    expect(epsgForZone(39, false)).toBe(4548);
    expect(() => epsgForZone(24, true)).toThrow(RangeError);
    expect(() => epsgForZone(46, false)).toThrow(RangeError);
    expect(() => epsgForZone(39.5, false)).toThrow(RangeError);
  });

  it('every GK entry, written as the proj4 string GDAL gives, identifies back to itself', () => {
    for (let epsg = 4513; epsg <= 4554; epsg++) {
      const info = crsFromEpsg(epsg);
      if (!info || info.kind !== 'gauss-kruger') throw new Error('missing');
      expect(accepted(identifyCrsFromProj4(gk(info.centralMeridian, info.falseEasting))).epsg).toBe(epsg);
    }
  });
});

describe('identifyCrsFromProj4: accepted', () => {
  it('ESRI CGCS2000_3_Degree_GK_Zone_39 (prefixed) → EPSG:4527', () => {
    const crs = accepted(
      identifyCrsFromProj4(gk(117, 39500000), {
        datumName: 'D_China_2000',
        projcsName: 'CGCS2000_3_Degree_GK_Zone_39',
      }),
    );
    expect(crs).toMatchObject({ epsg: 4527, kind: 'gauss-kruger', zone: 39, centralMeridian: 117, zonePrefixed: true });
    expect(crs.assumedFrom).toBeUndefined();
  });

  it('ESRI CGCS2000_3_Degree_GK_CM_117E (unprefixed) → EPSG:4548', () => {
    const crs = accepted(
      identifyCrsFromProj4(gk(117, 500000), {
        datumName: 'China_2000',
        projcsName: 'CGCS2000_3_Degree_GK_CM_117E',
      }),
    );
    expect(crs).toMatchObject({ epsg: 4548, zone: 39, zonePrefixed: false, falseEasting: 500000 });
  });

  it('ESRI CGCS2000_3_Degree_GK_Zone_38 (CM 114) → EPSG:4526; CM_114E → 4547', () => {
    expect(
      accepted(identifyCrsFromProj4(gk(114, 38500000), { projcsName: 'CGCS2000_3_Degree_GK_Zone_38' })).epsg,
    ).toBe(4526);
    expect(accepted(identifyCrsFromProj4(gk(114, 500000), { projcsName: 'CGCS2000_3_Degree_GK_CM_114E' })).epsg).toBe(
      4547,
    );
  });

  it('EPSG-style names and explicit ellipsoid parameters', () => {
    expect(
      accepted(
        identifyCrsFromProj4(gk(117, 39500000, '+a=6378137 +rf=298.257222101 +units=m +no_defs +type=crs'), {
          datumName: 'China 2000',
          projcsName: 'CGCS2000 / 3-degree Gauss-Kruger zone 39',
        }),
      ).epsg,
    ).toBe(4527);
    expect(
      accepted(
        identifyCrsFromProj4(gk(117, 500000, '+ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs'), {
          projcsName: 'CGCS2000 / 3-degree Gauss-Kruger CM 117E',
        }),
      ).epsg,
    ).toBe(4548);
    // No +units: PROJ's default for tmerc is metres.
    expect(accepted(identifyCrsFromProj4(gk(117, 500000, '+ellps=GRS80'))).epsg).toBe(4548);
    // +axis=neu restates EPSG's northing-first order; shapefile x is still the easting.
    expect(accepted(identifyCrsFromProj4(gk(117, 39500000, '+ellps=GRS80 +axis=neu +units=m'))).epsg).toBe(4527);
  });

  it('EPSG:4490 → geographic', () => {
    expect(accepted(identifyCrsFromProj4('+proj=longlat +ellps=GRS80 +no_defs'))).toEqual({
      epsg: 4490,
      kind: 'geographic',
      label: expect.stringContaining('CGCS2000'),
    });
    expect(
      accepted(
        identifyCrsFromProj4('+proj=longlat +ellps=GRS80 +no_defs', {
          datumName: 'China_2000',
        }),
      ).epsg,
    ).toBe(4490);
  });

  it('WGS 84 lon/lat (GeoJSON, RFC 7946) is taken as 4490 and flagged', () => {
    const crs = accepted(identifyCrsFromProj4('+proj=longlat +datum=WGS84 +no_defs', { datumName: 'WGS_1984' }));
    expect(crs).toMatchObject({ epsg: 4490, kind: 'geographic', assumedFrom: 'wgs84' });
    expect(crs.label).toContain('WGS 84');
    expect(accepted(identifyCrsFromProj4('+proj=longlat +ellps=WGS84 +no_defs')).assumedFrom).toBe('wgs84');
  });

  it('a Gauss–Krüger zone labelled WGS 84 is accepted the same way, flagged', () => {
    const crs = accepted(identifyCrsFromProj4(gk(117, 39500000, '+datum=WGS84 +units=m +no_defs')));
    expect(crs).toMatchObject({ epsg: 4527, assumedFrom: 'wgs84' });
  });

  it('a 6-degree CM with false easting 500 000 is the same projection as the 3-degree one', () => {
    expect(
      accepted(identifyCrsFromProj4(gk(117, 500000), { projcsName: 'CGCS2000_6_Degree_GK_CM_117E' })).epsg,
    ).toBe(4548);
  });
});

describe('identifyCrsFromProj4: refused', () => {
  it('Beijing 1954 (Krassowsky)', () => {
    const msg = refused(
      identifyCrsFromProj4(gk(117, 39500000, '+ellps=krass +towgs84=15.8,-154.4,-82.3,0,0,0,0 +units=m +no_defs')),
      'crs-beijing54',
    );
    expect(msg).toContain('北京1954');
    refused(identifyCrsFromProj4(gk(117, 500000, '+a=6378245 +rf=298.3 +units=m +no_defs')), 'crs-beijing54');
    refused(identifyCrsFromProj4('+proj=longlat +ellps=krass +no_defs'), 'crs-beijing54');
    refused(
      identifyCrsFromProj4(gk(117, 39500000), { projcsName: 'Beijing_1954_3_Degree_GK_Zone_39' }),
      'crs-beijing54',
    );
    refused(identifyCrsFromProj4(gk(117, 39500000), { datumName: 'D_Beijing_1954' }), 'crs-beijing54');
  });

  it("Xi'an 1980 (IAG-75, a = 6378140)", () => {
    const msg = refused(
      identifyCrsFromProj4(gk(117, 39500000, '+a=6378140 +b=6356755.288157528 +units=m +no_defs')),
      'crs-xian80',
    );
    expect(msg).toContain('西安1980');
    refused(identifyCrsFromProj4(gk(117, 500000, '+ellps=IAU76 +units=m +no_defs')), 'crs-xian80');
    refused(identifyCrsFromProj4(gk(117, 500000), { projcsName: 'Xian_1980_3_Degree_GK_CM_117E' }), 'crs-xian80');
    refused(identifyCrsFromProj4('+proj=longlat +ellps=GRS80 +no_defs', { datumName: 'D_Xian_1980' }), 'crs-xian80');
  });

  it('other datums, even on GRS80, and datum shifts', () => {
    expect(refused(identifyCrsFromProj4(gk(117, 500000, '+datum=NAD83 +units=m +no_defs')), 'crs-datum-not-cgcs2000')).toContain(
      'NAD83',
    );
    expect(
      refused(identifyCrsFromProj4(gk(117, 500000), { datumName: 'D_North_American_1983' }), 'crs-datum-not-cgcs2000'),
    ).toContain('D_North_American_1983');
    refused(
      identifyCrsFromProj4(gk(117, 500000, '+ellps=GRS80 +towgs84=1,2,3,0,0,0,0 +units=m +no_defs')),
      'crs-datum-not-cgcs2000',
    );
    refused(identifyCrsFromProj4('+proj=longlat +ellps=GRS80 +nadgrids=some.gsb +no_defs'), 'crs-datum-not-cgcs2000');
    refused(identifyCrsFromProj4('+proj=longlat +R=6371000 +no_defs'), 'crs-ellipsoid-not-cgcs2000');
    refused(identifyCrsFromProj4(gk(117, 500000, '+ellps=intl +units=m')), 'crs-ellipsoid-not-cgcs2000');
    refused(identifyCrsFromProj4('+proj=longlat +no_defs'), 'crs-ellipsoid-unknown');
  });

  it('scale factor ≠ 1', () => {
    const def = '+proj=tmerc +lat_0=0 +lon_0=117 +k=0.9999 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs';
    expect(refused(identifyCrsFromProj4(def), 'crs-scale-not-one')).toContain('0.9999');
  });

  it('latitude of origin ≠ 0 and false northing ≠ 0', () => {
    refused(
      identifyCrsFromProj4('+proj=tmerc +lat_0=10 +lon_0=117 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m'),
      'crs-lat0-not-zero',
    );
    refused(
      identifyCrsFromProj4('+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=500000 +y_0=-3000000 +ellps=GRS80 +units=m'),
      'crs-false-northing-not-zero',
    );
  });

  it('central meridian not a multiple of 3 (local systems)', () => {
    expect(refused(identifyCrsFromProj4(gk(117.5, 500000)), 'crs-not-gauss-kruger-3deg')).toContain('117.5');
    refused(identifyCrsFromProj4(gk(116.25, 500000)), 'crs-not-gauss-kruger-3deg');
  });

  it('6-degree zone with its zone number prefixed: says so', () => {
    const msg = refused(identifyCrsFromProj4(gk(117, 20500000)), 'crs-gk-6deg');
    expect(msg).toContain('6度带');
    expect(msg).toContain('第20带');
  });

  it('false easting inconsistent with the CM (zone 38 prefix with CM 117)', () => {
    const msg = refused(identifyCrsFromProj4(gk(117, 38500000)), 'crs-false-easting-mismatch');
    expect(msg).toContain('39500000');
    refused(identifyCrsFromProj4(gk(117, 0)), 'crs-false-easting-mismatch');
  });

  it('projected CRS name contradicting the parameters', () => {
    refused(
      identifyCrsFromProj4(gk(117, 500000), { projcsName: 'CGCS2000_3_Degree_GK_Zone_38' }),
      'crs-name-mismatch',
    );
    refused(
      identifyCrsFromProj4(gk(114, 500000), { projcsName: 'CGCS2000_3_Degree_GK_CM_117E' }),
      'crs-name-mismatch',
    );
  });

  it('zones outside China', () => {
    refused(identifyCrsFromProj4(gk(60, 500000)), 'crs-zone-outside-china');
    refused(identifyCrsFromProj4(gk(138, 46500000)), 'crs-zone-outside-china');
  });

  it('units other than metres', () => {
    refused(identifyCrsFromProj4(gk(117, 500000, '+ellps=GRS80 +units=us-ft +no_defs')), 'crs-units-not-metre');
    refused(identifyCrsFromProj4(gk(117, 500000, '+ellps=GRS80 +units=km')), 'crs-units-not-metre');
    refused(identifyCrsFromProj4(gk(117, 500000, '+ellps=GRS80 +to_meter=0.3048')), 'crs-units-not-metre');
  });

  it('UTM, web mercator and other projections', () => {
    expect(refused(identifyCrsFromProj4('+proj=utm +zone=50 +datum=WGS84 +units=m +no_defs'), 'crs-unsupported')).toContain(
      'UTM',
    );
    refused(
      identifyCrsFromProj4('+proj=tmerc +lat_0=0 +lon_0=117 +k=0.9996 +x_0=500000 +y_0=0 +datum=WGS84 +units=m'),
      'crs-unsupported',
    );
    expect(
      refused(
        identifyCrsFromProj4(
          '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs',
        ),
        'crs-unsupported',
      ),
    ).toContain('Web墨卡托');
    refused(
      identifyCrsFromProj4('+proj=lcc +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +ellps=GRS80 +units=m'),
      'crs-unsupported',
    );
    refused(identifyCrsFromProj4('+proj=geocent +ellps=GRS80 +units=m'), 'crs-unsupported');
    refused(identifyCrsFromProj4(gk(117, 500000, '+ellps=GRS80 +axis=wsu +units=m')), 'crs-unsupported');
  });

  it('missing or unreadable definitions', () => {
    refused(identifyCrsFromProj4(''), 'crs-missing');
    refused(identifyCrsFromProj4('   '), 'crs-missing');
    refused(identifyCrsFromProj4('+no_defs'), 'crs-unparseable');
    refused(identifyCrsFromProj4('+proj=tmerc +lat_0=0 +lon_0=abc +k=1 +x_0=500000 +ellps=GRS80'), 'crs-unparseable');
    refused(identifyCrsFromProj4('+proj=tmerc +lat_0=0 +lon_0=117 +k=x +x_0=500000 +ellps=GRS80'), 'crs-unparseable');
  });
});
