/**
 * Variants of the committed 玉山县 sample (fixtures/361123) for import tests: other encodings,
 * CRSs and formats, and broken or hostile files. Every function writes into a temp directory
 * (`variantsDir()`, or `dir`) and returns the path of the file to upload.
 *
 * The sample is read with GDAL (its DBF language byte 0x4D makes GDAL decode GBK), so values seen
 * by `mutate` are proper Unicode strings. Every geodata file here is written by GDAL (gdal-async);
 * afterwards only sidecars (.prj) and single header bytes are touched, or a .shp is truncated.
 * Synchronous: GDAL's sync API on ≤ 1 500 features.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import gdal from 'gdal-async';
import type { Geometry } from 'gdal-async';
import { gkToGeographic, zoneFromNumber } from '../../src/domain/area/gauss-kruger.js';
import type { FieldSpec } from '../../src/fixtures/schemas.js';
import { ESRI_PRJ, ShapefileWriter, writeLdid, zipFlat, zipTree } from '../../src/fixtures/write-layers.js';

/** The committed sample. */
export const SAMPLE_DIR = fileURLToPath(new URL('../../fixtures/361123/', import.meta.url));

export function sampleFile(name: string): string {
  return path.join(SAMPLE_DIR, name);
}

/** fixtures/361123/manifest.json (counts, mining BSMs …). */
export function sampleManifest(): {
  features: number;
  counts: { DLTB2019: number; DLTB2023: number; LDXB2023: number; XZQ: number; changed2023: number };
  mining: { mines: number; parcels2019: number; restored2023: number; miningBsm2019: string[]; restoredBsm: string[] };
  [k: string]: unknown;
} {
  return JSON.parse(fs.readFileSync(sampleFile('manifest.json'), 'utf8'));
}

// ------------------------------------------------------------------ temp dir

let tempDir: string | null = null;
let serial = 0;

/** Per-process temp directory for variants (created on first use). */
export function variantsDir(): string {
  if (!tempDir || !fs.existsSync(tempDir)) tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhanbu-variants-'));
  return tempDir;
}

/** Removes the temp directory (call from afterAll). */
export function cleanupVariants(): void {
  if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  tempDir = null;
}

function outPath(dir: string | undefined, base: string, ext: string): string {
  const d = dir ?? variantsDir();
  fs.mkdirSync(d, { recursive: true });
  return path.join(d, `${base}-${++serial}${ext}`);
}

// ------------------------------------------------------------------ reading the sample

export type FixtureLayer = 'DLTB' | 'LDXB' | 'XZQ';
export type FixtureYear = 2019 | 2023;
export type Props = Record<string, string | number | null>;

interface SampleFeature {
  props: Props;
  geometry: Geometry;
}

interface Sample {
  fields: FieldSpec[];
  features: SampleFeature[];
}

const SAMPLE_ZIP: Record<string, string> = {
  'DLTB:2019': 'dltb-2019.shp.zip',
  'DLTB:2023': 'dltb-2023.shp.zip',
  'LDXB:2023': 'ldxb-2023.shp.zip',
  'XZQ:2019': 'xzq.shp.zip',
};

function sampleKey(layer: FixtureLayer, year?: FixtureYear): string {
  const y = layer === 'LDXB' ? 2023 : layer === 'XZQ' ? 2019 : (year ?? 2019);
  return `${layer}:${y}`;
}

const cache = new Map<string, Sample>();

/** Reads a layer of the committed sample (cached; returns fresh geometry clones). */
export function readSample(layer: FixtureLayer = 'DLTB', year?: FixtureYear): Sample {
  const key = sampleKey(layer, year);
  let s = cache.get(key);
  if (!s) {
    const zip = sampleFile(SAMPLE_ZIP[key] as string);
    const ds = gdal.open(`/vsizip/${zip}/${layer}.shp`);
    const lyr = ds.layers.get(0);
    const fields: FieldSpec[] = lyr.fields.map((f) => ({
      name: f.name,
      type: f.type === gdal.OFTString ? 'string' : f.type === gdal.OFTInteger ? 'integer' : 'real',
      width: f.width,
      precision: f.precision,
    }));
    const features: SampleFeature[] = [];
    for (let f = lyr.features.first(); f; f = lyr.features.next()) {
      const g = f.getGeometry();
      if (g) features.push({ props: f.fields.toObject() as Props, geometry: g.clone() });
    }
    ds.close();
    s = { fields, features };
    cache.set(key, s);
  }
  return { fields: s.fields, features: s.features.map((f) => ({ props: { ...f.props }, geometry: f.geometry.clone() })) };
}

export interface VariantOptions {
  /** Sample layer, default 'DLTB'. */
  layer?: FixtureLayer;
  /** Survey year of DLTB, default 2019 (LDXB is 2023, XZQ 2019). */
  year?: FixtureYear;
  /** Keep only the first `limit` features (0 = empty layer). */
  limit?: number;
  /** Change the attributes of feature `index`; return null to drop the feature. */
  mutate?: (props: Props, index: number) => Props | null | void;
  /** Replace the geometry of feature `index` (plane coordinates, before any CRS change). */
  mutateGeometry?: (geometry: Geometry, index: number) => Geometry;
  /** Output directory (default: variantsDir()). */
  dir?: string;
}

function selectFeatures(opts: VariantOptions): Sample {
  const s = readSample(opts.layer ?? 'DLTB', opts.year);
  let features = opts.limit === undefined ? s.features : s.features.slice(0, opts.limit);
  features = features.flatMap((f, k) => {
    let props = f.props;
    if (opts.mutate) {
      const r = opts.mutate(props, k);
      if (r === null) return [];
      if (r) props = r;
    }
    const geometry = opts.mutateGeometry ? opts.mutateGeometry(f.geometry, k) : f.geometry;
    return [{ props, geometry }];
  });
  return { fields: s.fields, features };
}

// ------------------------------------------------------------------ coordinates

const ZONE39 = zoneFromNumber(39, true);

type CoordFn = (x: number, y: number) => [number, number];

/** A copy of `g` with every (x, y) mapped by fn (z kept). */
export function mapCoordinates(g: Geometry, fn: CoordFn): Geometry {
  const walk = (c: unknown): unknown => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      const [x, y] = fn(c[0], c[1] as number);
      return c.length > 2 ? [x, y, ...c.slice(2)] : [x, y];
    }
    return Array.isArray(c) ? c.map(walk) : c;
  };
  const o = g.toObject() as { type: string; coordinates: unknown };
  return gdal.Geometry.fromGeoJson({ type: o.type, coordinates: walk(o.coordinates) });
}

const toLonLat: CoordFn = (x, y) => gkToGeographic(x, y, ZONE39);
const toUnprefixed: CoordFn = (x, y) => [Math.round((x - 39_000_000) * 1000) / 1000, y];

// ------------------------------------------------------------------ shapefile zips

export type ShapefileCrs = 'gk39-prefixed-esri' | 'gk39-prefixed-epsg' | 'cm117-unprefixed' | 'epsg4490' | 'none';
export type ShapefileEncoding = 'gbk-ldid' | 'gbk-no-ldid' | 'gbk-cpg' | 'utf8-cpg';
export type ShapefileMember = '.shp' | '.shx' | '.dbf' | '.prj' | '.cpg';

export interface ShapefileZipOptions extends VariantOptions {
  /**
   * 'gk39-prefixed-esri' (default): as delivered, ESRI .prj without EPSG code;
   * 'gk39-prefixed-epsg': same coordinates, .prj = GDAL's WKT1 of EPSG:4527 (with AUTHORITY);
   * 'cm117-unprefixed': easting − 39 000 000 (EPSG:4548), ESRI .prj CGCS2000_3_Degree_GK_CM_117E;
   * 'epsg4490': lon/lat on CGCS2000, .prj = WKT1 of EPSG:4490; 'none': no .prj.
   */
  crs?: ShapefileCrs;
  /**
   * 'gbk-ldid' (default): GBK text, DBF byte 29 = 0x4D, no .cpg;
   * 'gbk-no-ldid': GBK text, byte 29 = 0, no .cpg (the garbling case);
   * 'gbk-cpg': GBK text, byte 29 = 0, .cpg containing `cpgText` (default 'GBK'; GDAL's
   *   ENCODING=<cpgText>, so it must name GBK in a way GDAL/iconv know: 'GBK', 'CP936', '936');
   * 'utf8-cpg': UTF-8 text, byte 29 = 0, .cpg 'UTF-8'.
   */
  encoding?: ShapefileEncoding;
  /** Text of the .cpg for 'gbk-cpg' (e.g. '936', 'CP936'; GDAL recodes with it); default 'GBK'. */
  cpgText?: string;
  /** Members to leave out of the zip. */
  dropFiles?: ShapefileMember[];
  /** Cut the .shp to 60 % of its length (records cut mid-way; header length unchanged). */
  truncateShp?: boolean;
  /** Layer (file) name inside the zip; default the sample layer name. */
  layerName?: string;
  /** Put the files in this folder inside the zip instead of at its root. */
  zipFolder?: string;
  /** Geometry type of the layer (default polygon); used by pointsLayer / polygonZ. */
  geometryType?: number;
}

function crsTransform(crs: ShapefileCrs): { fn: CoordFn | null; prj: string | null } {
  switch (crs) {
    case 'gk39-prefixed-esri':
      return { fn: null, prj: ESRI_PRJ.gk39Prefixed };
    case 'gk39-prefixed-epsg':
      return { fn: null, prj: gdal.SpatialReference.fromEPSG(4527).toWKT() };
    case 'cm117-unprefixed':
      return { fn: toUnprefixed, prj: ESRI_PRJ.cm117 };
    case 'epsg4490':
      return { fn: toLonLat, prj: gdal.SpatialReference.fromEPSG(4490).toWKT() };
    case 'none':
      return { fn: null, prj: null };
  }
}

/** A zipped shapefile set of a sample layer, with the requested CRS, encoding and damage. */
export function shapefileZip(opts: ShapefileZipOptions = {}): string {
  const layer = opts.layer ?? 'DLTB';
  const name = opts.layerName ?? layer;
  const { fields, features } = selectFeatures(opts);
  const { fn, prj } = crsTransform(opts.crs ?? 'gk39-prefixed-esri');
  const encoding = opts.encoding ?? 'gbk-ldid';
  const work = fs.mkdtempSync(path.join(opts.dir ?? variantsDir(), 'shp-'));
  const setDir = opts.zipFolder ? path.join(work, opts.zipFolder) : work;
  // GDAL writes every variant: LDID/77 → GBK, byte 29 = 0x4D, no .cpg; a code page name → GBK
  // (or UTF-8), byte 29 = 0 and GDAL's own .cpg holding that name.
  const gdalEncoding = encoding === 'utf8-cpg' ? 'UTF-8' : encoding === 'gbk-cpg' ? (opts.cpgText ?? 'GBK') : 'LDID/77';
  const w = new ShapefileWriter(setDir, name, fields, { encoding: gdalEncoding, prj, cpg: true, geometryType: opts.geometryType });
  for (const f of features) w.add(f.props, fn ? mapCoordinates(f.geometry, fn) : f.geometry);
  w.close();
  const base = path.join(setDir, name);
  // The garbling case: a one-byte patch of the GDAL-written DBF header (language byte cleared).
  if (encoding === 'gbk-no-ldid') writeLdid(base + '.dbf', 0);
  if (opts.truncateShp) {
    const size = fs.statSync(base + '.shp').size;
    fs.truncateSync(base + '.shp', Math.max(100, Math.floor(size * 0.6)));
  }
  for (const ext of opts.dropFiles ?? []) fs.rmSync(base + ext, { force: true });
  const members = ['.shp', '.shx', '.dbf', '.prj', '.cpg'].filter((e) => fs.existsSync(base + e));
  const zip = outPath(opts.dir, `${layer.toLowerCase()}-${opts.crs ?? 'gk39'}-${encoding}`, '.shp.zip');
  if (opts.zipFolder) zipTree(zip, work, members.map((e) => path.join(opts.zipFolder as string, name + e)));
  else zipFlat(zip, members.map((e) => base + e));
  fs.rmSync(work, { recursive: true, force: true });
  return zip;
}

// ------------------------------------------------------------------ other formats

function writeWithGdal(
  target: string,
  driver: string,
  layers: ReadonlyArray<{ name: string; sample: Sample; srs: ReturnType<typeof gdal.SpatialReference.fromEPSG> | null; fn: CoordFn | null; lco?: string[]; geometryType?: number }>,
): void {
  const ds = gdal.open(target, 'w', driver);
  for (const l of layers) {
    const lyr = ds.layers.create(l.name, l.srs, l.geometryType ?? gdal.wkbPolygon, l.lco ?? []);
    for (const f of l.sample.fields) {
      const d = new gdal.FieldDefn(f.name, f.type === 'string' ? gdal.OFTString : f.type === 'integer' ? gdal.OFTInteger : gdal.OFTReal);
      d.width = f.width;
      if (f.precision !== undefined) d.precision = f.precision;
      lyr.fields.add(d);
    }
    for (const f of l.sample.features) {
      const feat = new gdal.Feature(lyr);
      feat.fields.set(f.props);
      feat.setGeometry(l.fn ? mapCoordinates(f.geometry, l.fn) : f.geometry);
      lyr.features.add(feat);
    }
  }
  ds.close();
}

export interface GeojsonOptions extends VariantOptions {
  /** 'epsg4490' (default): "crs" member urn:ogc:def:crs:EPSG::4490; 'crs84': RFC 7946, no crs member. */
  crs?: 'epsg4490' | 'crs84';
}

/** A UTF-8 GeoJSON file of a sample layer in CGCS2000 lon/lat. */
export function geojsonFile(opts: GeojsonOptions = {}): string {
  const crs = opts.crs ?? 'epsg4490';
  const file = outPath(opts.dir, `${(opts.layer ?? 'DLTB').toLowerCase()}-${crs}`, '.geojson');
  const srs = crs === 'epsg4490' ? gdal.SpatialReference.fromEPSG(4490) : gdal.SpatialReference.fromUserInput('OGC:CRS84');
  writeWithGdal(file, 'GeoJSON', [
    {
      name: opts.layer ?? 'DLTB',
      sample: selectFeatures(opts),
      srs,
      fn: toLonLat,
      lco: crs === 'crs84' ? ['RFC7946=YES', 'COORDINATE_PRECISION=9'] : ['RFC7946=NO'],
    },
  ]);
  return file;
}

export type PlaneOrGeographic = 'epsg4527' | 'epsg4548' | 'epsg4490';

function planeCrs(crs: PlaneOrGeographic): { srs: ReturnType<typeof gdal.SpatialReference.fromEPSG>; fn: CoordFn | null } {
  if (crs === 'epsg4527') return { srs: gdal.SpatialReference.fromEPSG(4527), fn: null };
  if (crs === 'epsg4548') return { srs: gdal.SpatialReference.fromEPSG(4548), fn: toUnprefixed };
  return { srs: gdal.SpatialReference.fromEPSG(4490), fn: toLonLat };
}

export interface ContainerOptions extends VariantOptions {
  /** CRS of the output (coordinates converted to match); default 'epsg4527' as delivered. */
  crs?: PlaneOrGeographic;
}

/** A FlatGeobuf file of a sample layer (default EPSG:4527 plane coordinates). */
export function flatgeobufFile(opts: ContainerOptions = {}): string {
  const crs = opts.crs ?? 'epsg4527';
  const file = outPath(opts.dir, `${(opts.layer ?? 'DLTB').toLowerCase()}-${crs}`, '.fgb');
  const { srs, fn } = planeCrs(crs);
  writeWithGdal(file, 'FlatGeobuf', [{ name: opts.layer ?? 'DLTB', sample: selectFeatures(opts), srs, fn }]);
  return file;
}

export interface MultiLayerOptions extends ContainerOptions {
  /** Layers to include, default DLTB (+ XZQ for 2019, + LDXB for 2023). limit/mutate apply to each. */
  layers?: FixtureLayer[];
}

function layerList(opts: MultiLayerOptions): FixtureLayer[] {
  return opts.layers ?? (opts.year === 2023 ? ['DLTB', 'LDXB'] : ['DLTB', 'XZQ']);
}

/** A GeoPackage with sample layers (default: DLTB + XZQ of 2019, or DLTB + LDXB of 2023). */
export function gpkgFile(opts: MultiLayerOptions = {}): string {
  const crs = opts.crs ?? 'epsg4527';
  const file = outPath(opts.dir, `yushan-${opts.year ?? 2019}-${crs}`, '.gpkg');
  const { srs, fn } = planeCrs(crs);
  writeWithGdal(
    file,
    'GPKG',
    layerList(opts).map((layer) => ({ name: layer, sample: selectFeatures({ ...opts, layer }), srs, fn, geometryType: layer === 'XZQ' ? gdal.wkbMultiPolygon : gdal.wkbPolygon })),
  );
  return file;
}

/** A zipped File Geodatabase (folder `<gdbName>.gdb/` inside), default 361123_<year>.gdb. */
export function gdbZip(opts: MultiLayerOptions & { gdbName?: string } = {}): string {
  const crs = opts.crs ?? 'epsg4527';
  const year = opts.year ?? 2019;
  const work = fs.mkdtempSync(path.join(opts.dir ?? variantsDir(), 'gdb-'));
  const gdbName = `${opts.gdbName ?? `361123_${year}`}.gdb`;
  const { srs, fn } = planeCrs(crs);
  writeWithGdal(
    path.join(work, gdbName),
    'OpenFileGDB',
    layerList(opts).map((layer) => ({ name: layer, sample: selectFeatures({ ...opts, layer }), srs, fn, geometryType: gdal.wkbMultiPolygon })),
  );
  const zip = outPath(opts.dir, `yushan-${year}-${crs}`, '.gdb.zip');
  zipTree(zip, work, [gdbName]);
  fs.rmSync(work, { recursive: true, force: true });
  return zip;
}

// ------------------------------------------------------------------ bad files

/** A file named like a shapefile zip that is not a zip (a text file). */
export function notAZip(dir?: string): string {
  const file = outPath(dir, 'not-a-zip', '.shp.zip');
  fs.writeFileSync(file, '这不是一个zip文件 — this is not a zip archive.\n');
  return file;
}

/** Minimal zip writer for crafted archives (stored or pre-deflated entries, no zip64). */
interface RawEntry {
  name: string;
  /** Data as stored in the archive. */
  data: Buffer;
  method: 0 | 8;
  crc: number;
  size: number;
}

function writeRawZip(file: string, entries: RawEntry[]): void {
  const fd = fs.openSync(file, 'w');
  let offset = 0;
  const central: Buffer[] = [];
  const dosTime = 0x6000; // 12:00
  const dosDate = ((2024 - 1980) << 9) | (1 << 5) | 1;
  try {
    for (const e of entries) {
      const name = Buffer.from(e.name, 'utf8');
      const lh = Buffer.alloc(30);
      lh.writeUInt32LE(0x04034b50, 0);
      lh.writeUInt16LE(20, 4);
      lh.writeUInt16LE(0x0800, 6); // UTF-8 names
      lh.writeUInt16LE(e.method, 8);
      lh.writeUInt16LE(dosTime, 10);
      lh.writeUInt16LE(dosDate, 12);
      lh.writeUInt32LE(e.crc >>> 0, 14);
      lh.writeUInt32LE(e.data.length, 18);
      lh.writeUInt32LE(e.size, 22);
      lh.writeUInt16LE(name.length, 26);
      fs.writeSync(fd, lh);
      fs.writeSync(fd, name);
      fs.writeSync(fd, e.data);
      const ch = Buffer.alloc(46);
      ch.writeUInt32LE(0x02014b50, 0);
      ch.writeUInt16LE(20, 4);
      ch.writeUInt16LE(20, 6);
      ch.writeUInt16LE(0x0800, 8);
      ch.writeUInt16LE(e.method, 10);
      ch.writeUInt16LE(dosTime, 12);
      ch.writeUInt16LE(dosDate, 14);
      ch.writeUInt32LE(e.crc >>> 0, 16);
      ch.writeUInt32LE(e.data.length, 20);
      ch.writeUInt32LE(e.size, 24);
      ch.writeUInt16LE(name.length, 28);
      ch.writeUInt32LE(offset, 42);
      central.push(ch, name);
      offset += 30 + name.length + e.data.length;
    }
    const cd = Buffer.concat(central);
    fs.writeSync(fd, cd);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(offset, 16);
    fs.writeSync(fd, end);
  } finally {
    fs.closeSync(fd);
  }
}

function storedEntry(name: string, data: Buffer): RawEntry {
  return { name, data, method: 0, crc: zlib.crc32(data), size: data.length };
}

/**
 * A zip whose entries are a valid DLTB shapefile set (20 features) plus one entry named
 * `../evil.shp` (path traversal), and one named `/tmp/evil-abs.prj` (absolute path).
 */
export function zipSlip(dir?: string): string {
  const set = shapefileZip({ limit: 20, dir });
  const work = fs.mkdtempSync(path.join(dir ?? variantsDir(), 'slip-'));
  zipExtract(set, work);
  const entries = fs.readdirSync(work).sort().map((f) => storedEntry(f, fs.readFileSync(path.join(work, f))));
  entries.push(storedEntry('../evil.shp', fs.readFileSync(path.join(work, 'DLTB.shp'))));
  entries.push(storedEntry('/tmp/evil-abs.prj', Buffer.from(ESRI_PRJ.gk39Prefixed)));
  fs.rmSync(work, { recursive: true, force: true });
  const file = outPath(dir, 'zip-slip', '.shp.zip');
  writeRawZip(file, entries);
  return file;
}

function zipExtract(zip: string, to: string): void {
  execFileSync('unzip', ['-q', '-o', zip, '-d', to]);
}

export interface ZipBombOptions {
  /** Real expanded size of the entry, bytes; rounded up to whole MiB, < 4 GiB. Default 1 GiB. */
  expandedBytes?: number;
  /** Uncompressed size written in the headers (default: the real size). */
  declaredBytes?: number;
  /** Entry name, default 'DLTB.dbf'. */
  entryName?: string;
  dir?: string;
}

const crcCache = new Map<number, number>();

/**
 * A zip with one deflated entry of zeros that really expands to `expandedBytes` (default 1 GiB,
 * about 1 MB compressed). Built in well under a second: one deflate block that encodes 1 MiB of
 * zeros using only back-references into itself is repeated, then a final empty block; the CRC is
 * computed over the zeros once per size and cached. Headers declare the real size unless
 * `declaredBytes` says otherwise.
 */
export function zipBomb(opts: ZipBombOptions = {}): string {
  const MiB = 1 << 20;
  const mibs = Math.ceil((opts.expandedBytes ?? 1024 * MiB) / MiB);
  const size = mibs * MiB;
  if (size >= 2 ** 32) throw new Error('zipBomb: expandedBytes must be < 4 GiB (no zip64)');
  const zeros = Buffer.alloc(MiB);
  const block = zlib.deflateRawSync(zeros, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const data = Buffer.alloc(block.length * mibs + 2);
  for (let k = 0; k < mibs; k++) block.copy(data, k * block.length);
  data[block.length * mibs] = 0x03; // final, fixed Huffman, end-of-block
  data[block.length * mibs + 1] = 0x00;
  let crc = crcCache.get(mibs);
  if (crc === undefined) {
    crc = 0;
    for (let k = 0; k < mibs; k++) crc = zlib.crc32(zeros, crc);
    crcCache.set(mibs, crc);
  }
  const file = outPath(opts.dir, 'zip-bomb', '.shp.zip');
  writeRawZip(file, [{ name: opts.entryName ?? 'DLTB.dbf', data, method: 8, crc, size: opts.declaredBytes ?? size }]);
  return file;
}

/** A DLTB shapefile zip with all fields and no features. */
export function emptyLayer(dir?: string): string {
  return shapefileZip({ limit: 0, dir });
}

/** A DLTB-attributed shapefile zip of points (each parcel's centroid) instead of polygons. */
export function pointsLayer(dir?: string): string {
  return shapefileZip({ limit: 50, dir, geometryType: gdal.wkbPoint, mutateGeometry: (g) => g.centroid() });
}

/** A DLTB shapefile zip of PolygonZ (3D polygons, z = 50 + 10·index m). */
export function polygonZ(dir?: string): string {
  return shapefileZip({
    limit: 50,
    dir,
    geometryType: gdal.wkbPolygon25D,
    mutateGeometry: (g, k) => {
      const o = g.toObject() as { type: string; coordinates: number[][][] };
      return gdal.Geometry.fromGeoJson({ type: o.type, coordinates: o.coordinates.map((r) => r.map(([x, y]) => [x, y, 50 + 10 * k])) });
    },
  });
}

/** Feature indexes (0-based, file order) that invalidGeometry() makes invalid, and how. */
export const INVALID_GEOMETRY_CASES: ReadonlyArray<{ index: number; kind: 'bow-tie' | 'self-touching-ring' | 'spike' }> = [
  { index: 0, kind: 'bow-tie' },
  { index: 7, kind: 'bow-tie' },
  { index: 19, kind: 'self-touching-ring' },
  { index: 33, kind: 'spike' },
];

/**
 * A DLTB shapefile zip (first 50 parcels) where INVALID_GEOMETRY_CASES are not OGC-valid:
 * bow-ties (ring crossing itself), a ring touching itself at a vertex, a zero-width spike.
 */
export function invalidGeometry(opts: { dir?: string; limit?: number } = {}): string {
  return shapefileZip({
    limit: opts.limit ?? 50,
    dir: opts.dir,
    mutateGeometry: (g, k) => {
      const c = INVALID_GEOMETRY_CASES.find((x) => x.index === k);
      if (!c) return g;
      const e = g.getEnvelope();
      const mx = (e.minX + e.maxX) / 2;
      const my = (e.minY + e.maxY) / 2;
      let ring: number[][];
      if (c.kind === 'bow-tie') {
        ring = [[e.minX, e.minY], [e.maxX, e.maxY], [e.maxX, e.minY], [e.minX, e.maxY], [e.minX, e.minY]];
      } else if (c.kind === 'self-touching-ring') {
        ring = [[e.minX, e.minY], [e.maxX, e.minY], [e.maxX, e.maxY], [mx, my], [e.minX, e.maxY], [mx, my], [e.minX, e.minY]];
      } else {
        ring = [[e.minX, e.minY], [e.maxX, e.minY], [e.maxX, my], [e.maxX + 30, my], [e.maxX, my], [e.maxX, e.maxY], [e.minX, e.maxY], [e.minX, e.minY]];
      }
      return gdal.Geometry.fromGeoJson({ type: 'Polygon', coordinates: [ring] });
    },
  });
}

/** What withBadAttributes() puts where (feature index, 0-based, file order). */
export const BAD_ATTRIBUTE_CASES: ReadonlyArray<{ index: number; field: string; value: string; problem: string }> = [
  { index: 1, field: 'DLBM', value: 'XXXX', problem: 'unknown land class' },
  { index: 2, field: 'QSDWDM', value: '361123100200000000', problem: '18 digits' },
  { index: 3, field: 'QSDWDM', value: '3611241002000000000', problem: "another county's prefix (361124)" },
  { index: 4, field: 'QSXZ', value: '99', problem: 'unknown ownership kind' },
  { index: 5, field: 'ZLDWDM', value: '3611021002000000000', problem: "坐落 in another county (361102)" },
];

/** A DLTB shapefile zip (first 50 parcels) with BAD_ATTRIBUTE_CASES applied. */
export function withBadAttributes(opts: { dir?: string; limit?: number } = {}): string {
  return shapefileZip({
    limit: opts.limit ?? 50,
    dir: opts.dir,
    mutate: (p, k) => {
      for (const c of BAD_ATTRIBUTE_CASES) if (c.index === k) p[c.field] = c.value;
      return p;
    },
  });
}

// ------------------------------------------------------------------ planted quality errors

/** Where withPlantedQualityErrors() plants what (feature indexes in file order, and the BSMs involved). */
export interface PlantedQuality {
  /** TBMJ (and TBDLMJ with it) 5 m² larger than the polygon's ellipsoidal area. */
  tbmj: { index: number; bsm: string };
  /** Outline pushed out by 0.5 m over its neighbours. */
  overlap: { index: number; bsm: string };
  /** Dropped: a hole in the layer. */
  gap: { index: number; bsm: string; tbmj: number };
  /** Takes the BSM of another feature. */
  bsm: { index: number; bsm: string };
  /** KCMJ 1 m² off round(TBMJ × KCXS, 2) (TBDLMJ kept equal to TBMJ − KCMJ). */
  kcmj: { index: number; bsm: string };
  /** Takes the TBBH of another feature of its 坐落单位. */
  tbbh: { index: number; bsm: string; zldwdm: string; tbbh: string };
}

/**
 * A DLTB shapefile zip of the whole 2019 sample with one of each layer-level error planted (import
 * quality checks, issue 11): a changed TBMJ, an overlap, a gap, a duplicate BSM, a wrong KCMJ, a
 * duplicate TBBH within a 坐落单位. Each on its own feature, away from the others.
 */
export function withPlantedQualityErrors(opts: { dir?: string } = {}): { file: string; planted: PlantedQuality } {
  const { features } = readSample('DLTB', 2019);
  const p = (k: number) => features[k]!.props;
  const noDeduction = (k: number) => !Number(p(k).KCXS);
  const pick = (from: number, ok: (k: number) => boolean) => {
    for (let k = from; k < features.length; k++) if (ok(k)) return k;
    throw new Error('no feature to plant on');
  };
  const tbmj = pick(120, noDeduction);
  const overlap = pick(420, noDeduction);
  const gap = pick(520, () => true);
  const bsm = pick(620, () => true);
  const kcmj = pick(700, (k) => Number(p(k).KCXS) > 0);
  const tbbh = pick(820, (k) => features.some((f, j) => j !== k && j < 800 && f.props.ZLDWDM === p(k).ZLDWDM));
  const tbbhFrom = features.findIndex((f, j) => j < 800 && f.props.ZLDWDM === p(tbbh).ZLDWDM);
  const planted: PlantedQuality = {
    tbmj: { index: tbmj, bsm: String(p(tbmj).BSM) },
    overlap: { index: overlap, bsm: String(p(overlap).BSM) },
    gap: { index: gap, bsm: String(p(gap).BSM), tbmj: Number(p(gap).TBMJ) },
    bsm: { index: bsm, bsm: String(p(bsm - 1).BSM) },
    kcmj: { index: kcmj, bsm: String(p(kcmj).BSM) },
    tbbh: { index: tbbh, bsm: String(p(tbbh).BSM), zldwdm: String(p(tbbh).ZLDWDM), tbbh: String(p(tbbhFrom).TBBH) },
  };
  const file = shapefileZip({
    dir: opts.dir,
    mutate: (props, k) => {
      if (k === gap) return null;
      if (k === tbmj) {
        props.TBMJ = Number(props.TBMJ) + 5;
        props.TBDLMJ = Number(props.TBDLMJ) + 5;
      }
      if (k === bsm) props.BSM = planted.bsm.bsm;
      if (k === kcmj) {
        props.KCMJ = Number(props.KCMJ) + 1;
        props.TBDLMJ = Number(props.TBDLMJ) - 1;
      }
      if (k === tbbh) props.TBBH = planted.tbbh.tbbh;
      return props;
    },
    // Pushed out by 0.5 m, mitred, rounded back to the mm as survey files are.
    mutateGeometry: (g, k) => (k === overlap ? mapCoordinates(g.buffer(0.5, 1), (x, y) => [Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000]) : g),
  });
  return { file, planted };
}
