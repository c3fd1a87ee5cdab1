import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import gdal from 'gdal-async';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HARDENING_OPTIONS,
  UPLOAD_DRIVERS,
  assertJsonDepth,
  assertUploadContent,
  formatOfName,
  hardenGdal,
  openUpload,
  sniffFormat,
  unsafeNameReason,
} from '../../../src/gdal/open-upload.js';

const dir = mkdtempSync(join(tmpdir(), 'zhanbu-open-upload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const problemCode = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

describe('names GDAL could read as something other than a local file', () => {
  it.each([
    '/vsicurl/http://127.0.0.1:9/DKFW.geojson',
    '/tmp/x/vsizip/DKFW.shp',
    '\\vsicurl\\DKFW.shp',
    'PG:dbname=zhanbu',
    'http://example.org/DKFW.geojson',
    '<OGRVRTDataSource><OGRVRTLayer/></OGRVRTDataSource>',
    'DKFW\u0000.shp',
  ])('%s is unsafe', (name) => {
    expect(unsafeNameReason(name)).toMatch(/[\u4e00-\u9fff]/);
  });
  it.each(['DKFW.shp', '/tmp/zhanbu/instance/extracted/玉山县/DKFW.shp', 'vsicurl.geojson', 'C:\\data\\DKFW.zip'])('%s is fine', (name) => {
    expect(unsafeNameReason(name)).toBeUndefined();
  });

  it('a work folder with a segment that merely starts with "vsi" is not mistaken for a handler', () => {
    mkdirSync(join(dir, 'vsites'), { recursive: true });
    const p = file('vsites/ok.geojson', '{"type":"FeatureCollection","features":[]}');
    expect(() => assertUploadContent(p, 'geojson')).not.toThrow();
  });

  it('openUpload refuses a /vsicurl/ or PG: dataset path before GDAL sees it', () => {
    expect(problemCode(() => openUpload({ format: 'geojson', datasetPath: '/vsicurl/http://127.0.0.1:9/DKFW.geojson' }))).toBe('file-name-unsafe');
    expect(problemCode(() => openUpload({ format: 'gpkg', datasetPath: 'PG:dbname=postgres' }))).toBe('file-name-unsafe');
  });
});

describe('content against extension', () => {
  const vrt = '<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>PG:dbname=postgres</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>';
  it.each([
    ['fgb.fgb', 'flatgeobuf'],
    ['geojson.geojson', 'geojson'],
    ['gpkg.gpkg', 'gpkg'],
    ['shp.shp', 'shapefile'],
  ] as const)('a VRT named %s is refused (file-content-mismatch)', (name, format) => {
    expect(problemCode(() => openUpload({ format, datasetPath: file(name, vrt) }))).toBe('file-content-mismatch');
  });

  it('a .gdb folder needs its catalog table with a FileGDB header', () => {
    const gdb = join(dir, 'bad.gdb');
    mkdirSync(gdb);
    writeFileSync(join(gdb, 'a00000001.gdbtable'), vrt);
    expect(problemCode(() => openUpload({ format: 'filegdb', datasetPath: gdb }))).toBe('file-content-mismatch');
    const empty = join(dir, 'empty.gdb');
    mkdirSync(empty);
    expect(problemCode(() => openUpload({ format: 'filegdb', datasetPath: empty }))).toBe('file-content-mismatch');
  });

  it('sniffs the single-file formats by their first bytes and names by their extension', () => {
    expect(sniffFormat(file('a', Buffer.from('SQLite format 3\0rest', 'latin1')))).toBe('gpkg');
    expect(sniffFormat(file('b', Buffer.from([0x66, 0x67, 0x62, 0x03, 0, 0])))).toBe('flatgeobuf');
    expect(sniffFormat(file('c', '\uFEFF  \n{"type":"FeatureCollection"}'))).toBe('geojson');
    expect(sniffFormat(file('d', vrt))).toBeUndefined();
    expect([formatOfName('X.SHP'), formatOfName('a.json'), formatOfName('a.gdb'), formatOfName('a.zip'), formatOfName('a.txt')]).toEqual([
      'shapefile',
      'geojson',
      'filegdb',
      'zip',
      undefined,
    ]);
  });

  it('opens a real GeoJSON with the GeoJSON driver only', () => {
    const p = file('ok.geojson', JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [1, 2] } }] }));
    const ds = openUpload({ format: 'geojson', datasetPath: p });
    try {
      expect(ds.driver.description).toBe('GeoJSON');
    } finally {
      ds.close();
    }
  });
});

describe('the driver allow-list alone refuses a VRT (without the content check)', () => {
  // Item 2: should a VRT ever get past the magic-byte check, GDAL itself must refuse it when given
  // only UPLOAD_DRIVERS, whatever the file is called. Called on gdal directly, no check before it.
  const pgVrt = '<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>PG:dbname=postgres host=127.0.0.1 port=9</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>';
  const target = () =>
    file('target.geojson', JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { DKBH: 'T1' }, geometry: { type: 'Point', coordinates: [118, 28] } }] }));
  const fileVrt = () =>
    `<OGRVRTDataSource><OGRVRTLayer name="target"><SrcDataSource>${target()}</SrcDataSource><SrcLayer>target</SrcLayer></OGRVRTLayer></OGRVRTDataSource>`;
  const allowed = Object.values(UPLOAD_DRIVERS);
  const extension = { shapefile: 'shp', filegdb: 'gdb', gpkg: 'gpkg', geojson: 'geojson', flatgeobuf: 'fgb' } as const;

  it('the VRT pointing at another file is real: with the VRT driver allowed, GDAL reads it through that file, whatever its name', () => {
    for (const ext of ['vrt', 'shp', 'geojson', 'gpkg', 'fgb']) {
      const ds = gdal.open(file(`control.${ext}`, fileVrt()), 'r', ['OGR_VRT']);
      try {
        expect(ds.driver.description).toBe('OGR_VRT');
        expect(ds.layers.get(0).features.count()).toBe(1);
      } finally {
        ds.close();
      }
    }
  });

  it.each(Object.entries(UPLOAD_DRIVERS))('a VRT named as %s is refused by GDAL with the %s driver, and with all five', async (format, driver) => {
    hardenGdal();
    for (const [kind, vrt] of [['PG:', pgVrt], ['file', fileVrt()]] as const) {
      const p = file(`vrt-${kind === 'PG:' ? 'pg' : 'file'}-${format}.${extension[format as keyof typeof extension]}`, vrt);
      for (const drivers of [[driver], allowed]) {
        expect(() => gdal.open(p, 'r', drivers), `${kind} VRT, ${drivers.join(',')}`).toThrow();
        await expect(gdal.openAsync(p, 'r', drivers), `${kind} VRT, ${drivers.join(',')} (async)`).rejects.toThrow();
      }
    }
  });

  it('a .gdb folder whose catalog table is a VRT is refused by OpenFileGDB', () => {
    const gdb = join(dir, 'vrt-catalog.gdb');
    mkdirSync(gdb);
    writeFileSync(join(gdb, 'a00000001.gdbtable'), pgVrt);
    expect(() => gdal.open(gdb, 'r', [UPLOAD_DRIVERS.filegdb])).toThrow();
    expect(() => gdal.open(gdb, 'r', allowed)).toThrow();
  });
});

describe('GDAL hardening', () => {
  it('sets the options that take network access and directory listing away', () => {
    hardenGdal();
    for (const [k, v] of Object.entries(HARDENING_OPTIONS)) expect(gdal.config.get(k)).toBe(v);
  });
});

describe('JSON depth', () => {
  it('refuses 200,000 nested arrays without recursion, and accepts brackets inside strings', async () => {
    const deep = file('deep.geojson', '{"type":"FeatureCollection","features":' + '['.repeat(200_000) + ']'.repeat(200_000) + '}');
    await expect(assertJsonDepth(deep)).rejects.toMatchObject({ code: 'geojson-too-deep', status: 422 });
    const strings = file('strings.geojson', JSON.stringify({ type: 'FeatureCollection', features: [], note: '['.repeat(1000) + '\\"{{{' }));
    await expect(assertJsonDepth(strings)).resolves.toBeUndefined();
  });
});
