import { readdir, rename, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { assertJsonDepth, assertSafeName, assertUploadContent, formatOfName, sniffFormat, type UploadFormat } from './open-upload.js';
import { badInput } from '../http/problem.js';
import { extractZip, isZipFile } from './archive.js';
import { checkShapefileSet, decideDbfEncoding, type EncodingDecision } from './shapefile.js';

export type SourceFormat = UploadFormat;

export interface LocatedSource {
  format: SourceFormat;
  /** What GDAL opens: a .shp, a .gdb folder, a .gpkg, .geojson or .fgb file. */
  datasetPath: string;
  encoding: EncodingDecision | { encoding: 'UTF-8'; source: 'intrinsic' };
  /** Shapefile without .prj: the coordinate system must be inferred or refused. */
  missingPrj: boolean;
}

export interface LocateOptions {
  workDir: string;
  maxExpandedBytes: number;
  /** Explicit layer (file or table) name the user asked for. */
  layerName?: string;
  /** Names to try when a zip holds several shapefiles. */
  defaultNames: string[];
  encoding?: string;
  /** The name the user gave the file: single-file datasets are named after it (GDAL names GeoJSON layers by file). */
  sourceName?: string;
}

/** A file stem safe to use on disk, from a user's file name. */
export function safeStem(name: string | undefined): string {
  // eslint-disable-next-line no-control-regex -- intentional: control characters are replaced in a file stem
  const stem = (name ?? '').replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '').replace(/[\x00-\x1f<>:"|?*]/g, '_').trim();
  return stem && stem !== '.' && stem !== '..' ? stem.slice(0, 100) : 'upload';
}

const EXT: Record<Exclude<SourceFormat, 'shapefile' | 'filegdb'>, string> = { gpkg: 'gpkg', geojson: 'geojson', flatgeobuf: 'fgb' };

/** Every path under dir (files and folders), depth-first, skipping macOS resource forks. */
async function walk(dir: string): Promise<{ path: string; name: string; isDir: boolean }[]> {
  const out: { path: string; name: string; isDir: boolean }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name === '__MACOSX' || e.name.startsWith('._')) continue;
    const path = join(dir, e.name);
    out.push({ path, name: e.name, isDir: e.isDirectory() });
    if (e.isDirectory() && !/\.gdb$/i.test(e.name)) out.push(...(await walk(path)));
  }
  return out;
}

function pickByName<T extends { name: string }>(items: T[], wanted: string[], stem: (n: string) => string): T | undefined {
  for (const w of wanted) {
    const hit = items.find((i) => stem(i.name).toLowerCase() === w.toLowerCase());
    if (hit) return hit;
  }
  return items.length === 1 ? items[0] : undefined;
}

/**
 * Works out what an upload is — a zipped shapefile set or .gdb, a GeoPackage, GeoJSON or
 * FlatGeobuf — by content, not by name; extracts zips safely; and checks shapefile sets.
 */
export async function locateSource(uploadPath: string, opts: LocateOptions): Promise<LocatedSource> {
  if ((await stat(uploadPath)).size === 0) throw badInput('file-empty', 'Empty file', '上传的文件为空');
  // The name the user gave is refused outright when GDAL could read it as a connection or a
  // virtual path, even though only a sanitised stem of it is ever used on disk.
  if (opts.sourceName !== undefined) assertSafeName(opts.sourceName);
  const named = opts.sourceName ? formatOfName(opts.sourceName) : undefined;
  if (!(await isZipFile(uploadPath))) {
    const format = sniffFormat(uploadPath);
    if (!format) {
      if (named && named !== 'zip') assertUploadContent(uploadPath, named, opts.sourceName);
      throw badInput(
        'format-unsupported',
        'Unsupported file format',
        '无法识别的文件格式：请上传压缩的Shapefile（.zip，含.shp/.shx/.dbf/.prj）、压缩的File Geodatabase（.gdb.zip）、GeoPackage、GeoJSON或FlatGeobuf',
      );
    }
    // A name that promises another format than the content (a GeoPackage called DKFW.shp) is refused.
    if (named && named !== 'zip' && named !== format) assertUploadContent(uploadPath, named, opts.sourceName);
    const target = join(opts.workDir, `${safeStem(opts.sourceName)}.${EXT[format]}`);
    await rename(uploadPath, target);
    if (format === 'geojson') await assertJsonDepth(target, opts.sourceName);
    return { format, datasetPath: target, encoding: { encoding: 'UTF-8', source: 'intrinsic' }, missingPrj: false };
  }

  const dir = join(opts.workDir, 'extracted');
  await extractZip(uploadPath, dir, { maxExpandedBytes: opts.maxExpandedBytes });
  const entries = await walk(dir);
  for (const e of entries) assertSafeName(relative(dir, e.path));
  /** The chosen dataset, its content checked against its extension before anything reads it. */
  const located = async (format: SourceFormat, path: string): Promise<LocatedSource> => {
    assertUploadContent(path, format, relative(dir, path));
    if (format === 'geojson') await assertJsonDepth(path, relative(dir, path));
    return { format, datasetPath: path, encoding: { encoding: 'UTF-8', source: 'intrinsic' }, missingPrj: false };
  };
  const wanted = opts.layerName ? [opts.layerName] : opts.defaultNames;

  const gdbs = entries.filter((e) => e.isDir && /\.gdb$/i.test(e.name));
  if (gdbs.length > 0) {
    // The layer inside the gdb is picked later by name; here only the folder.
    return located('filegdb', gdbs[0]!.path);
  }
  for (const [format, re] of [
    ['gpkg', /\.gpkg$/i],
    ['flatgeobuf', /\.fgb$/i],
    ['geojson', /\.(geo)?json$/i],
  ] as const) {
    const files = entries.filter((e) => !e.isDir && re.test(e.name));
    if (files.length) {
      const hit = pickByName(files, wanted, (n) => n.replace(re, '')) ?? files[0]!;
      return located(format, hit.path);
    }
  }
  const shps = entries.filter((e) => !e.isDir && /\.shp$/i.test(e.name));
  if (shps.length === 0) {
    const names = entries.filter((e) => !e.isDir).map((e) => e.name);
    const orphan = names.some((n) => /\.(dbf|shx|prj)$/i.test(n));
    throw badInput(
      orphan ? 'shapefile-incomplete' : 'format-unsupported',
      orphan ? 'Shapefile set incomplete' : 'No dataset in zip',
      orphan
        ? `压缩包中缺少.shp文件（只有${names.join('、')}）`
        : `压缩包中没有可识别的数据（.shp、.gdb、.gpkg、.geojson、.fgb），包含：${names.slice(0, 20).join('、') || '无文件'}`,
    );
  }
  const shp = pickByName(shps, wanted, (n) => n.replace(/\.shp$/i, ''));
  if (!shp) {
    throw badInput('layer-ambiguous', 'Several shapefiles in zip', `压缩包中有${shps.length}个Shapefile（${shps.map((s) => s.name).join('、')}），请用layerName参数指定要导入的图层`, {
      layers: shps.map((s) => s.name.replace(/\.shp$/i, '')),
    });
  }
  assertUploadContent(shp.path, 'shapefile', relative(dir, shp.path));
  const set = await checkShapefileSet(shp.path);
  const encoding = await decideDbfEncoding(shp.path, set.dbf, set.cpg, opts.encoding);
  return { format: 'shapefile', datasetPath: shp.path, encoding, missingPrj: !set.prj };
}
