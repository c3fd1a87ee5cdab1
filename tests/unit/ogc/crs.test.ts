import { describe, expect, it } from 'vitest';
import { CRS84, parseBbox, parseCrs, supportedCrs } from '../../../src/ogc/crs.js';
import { parseCollectionId } from '../../../src/ogc/collections.js';

describe('OGC CRS by reference and axis order', () => {
  it('offers CRS84, CGCS2000 and the county’s zone with (4527) and without (4548) the prefix', () => {
    expect(supportedCrs(4527)).toEqual([CRS84, 'http://www.opengis.net/def/crs/EPSG/0/4490', 'http://www.opengis.net/def/crs/EPSG/0/4527', 'http://www.opengis.net/def/crs/EPSG/0/4548']);
    expect(parseCrs(CRS84, 4527)).toMatchObject({ srid: 4490, flip: false });
    expect(parseCrs('http://www.opengis.net/def/crs/EPSG/0/4490', 4527)).toMatchObject({ srid: 4490, flip: true });
    expect(parseCrs('EPSG:4548', 4527)).toMatchObject({ srid: 4548, flip: true, digits: 4 });
    expect(parseCrs('http://www.opengis.net/def/crs/EPSG/0/4528', 4527)).toBeUndefined(); // another zone
    expect(parseCrs('http://www.opengis.net/def/crs/EPSG/0/4326', 4527)).toBeUndefined();
    expect(parseCrs("4490' OR 1=1", 4527)).toBeUndefined();
  });

  it('reads a bbox in its CRS’s axis order: CRS84 lon,lat; EPSG:4490 lat,lon; GK northing,easting', () => {
    expect(parseBbox('118,28,118.1,28.1', parseCrs(CRS84, 4527)!)).toEqual({ bbox: [118, 28, 118.1, 28.1] });
    expect(parseBbox('28,118,28.1,118.1', parseCrs('EPSG:4490', 4527)!)).toEqual({ bbox: [118, 28, 118.1, 28.1] });
    expect(parseBbox('3170000,39620000,3180000,39630000', parseCrs('EPSG:4527', 4527)!)).toEqual({ bbox: [39620000, 3170000, 39630000, 3180000] });
    expect(parseBbox('118,28,0,118.1,28.1,100', parseCrs(CRS84, 4527)!)).toEqual({ bbox: [118, 28, 118.1, 28.1] });
  });

  it('refuses malformed, inverted and out-of-range boxes', () => {
    const crs84 = parseCrs(CRS84, 4527)!;
    for (const b of ['1,2,3', '1,2,3,4,5', 'a,b,c,d', '118,29,117,28', '1e400,0,1,1', '-181,0,0,1', '0,-91,1,1', '1,2,3,4; DROP TABLE x']) expect(parseBbox(b, crs84)).toHaveProperty('error');
    // lat,lon given to CRS84: 118° latitude is out of range
    expect(parseBbox('28,118,28.1,118.1', crs84)).toHaveProperty('error');
  });

  it('collection ids: readable, with a year for the survey layers only', () => {
    expect(parseCollectionId('dltb-361123-2023')).toEqual({ kind: 'dltb', county: '361123', year: 2023 });
    expect(parseCollectionId('reserve-361123')).toEqual({ kind: 'reserve', county: '361123' });
    for (const bad of ['dltb-361123', 'reserve-361123-2023', 'dltb-36112-2023', 'x-361123', 'dltb-361123-2023-1']) expect(parseCollectionId(bad)).toBeUndefined();
  });
});
