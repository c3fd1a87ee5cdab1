/**
 * The one door through which an uploaded file reaches GDAL.
 *
 * GDAL opens anything it recognises by content, whatever the file is called: a `DKFW.fgb` that is
 * really a VRT (`<OGRVRTDataSource>` with a `PG:` connection string) makes GDAL log into our own
 * database and run the file's SQL. So an upload is opened only
 *  - from a path that names a plain local file (no `/vsi…` handler, no `PG:`, no XML),
 *  - after its first bytes were checked against what its extension says it is,
 *  - with exactly the one driver of that format (from an allow-list of five),
 *  - with GDAL's network access and directory probing switched off (hardenGdal).
 */
import { closeSync, createReadStream, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import gdal from 'gdal-async';
import { badInput } from '../http/problem.js';

export type UploadFormat = 'shapefile' | 'filegdb' | 'gpkg' | 'geojson' | 'flatgeobuf';

/** The allow-list: each accepted format and the only GDAL driver that may open it. */
export const UPLOAD_DRIVERS: Readonly<Record<UploadFormat, string>> = Object.freeze({
  shapefile: 'ESRI Shapefile',
  filegdb: 'OpenFileGDB',
  gpkg: 'GPKG',
  geojson: 'GeoJSON',
  flatgeobuf: 'FlatGeobuf',
});

const FORMAT_LABEL: Record<UploadFormat, string> = {
  shapefile: 'Shapefile',
  filegdb: 'File Geodatabase',
  gpkg: 'GeoPackage',
  geojson: 'GeoJSON',
  flatgeobuf: 'FlatGeobuf',
};

/**
 * Process-wide GDAL options that take network access and directory scans away from every open.
 * Set once, before the first upload is opened; harmless to exports (which read our own database
 * through the PostgreSQL driver, named explicitly) and to the fixture generator (local files).
 */
export const HARDENING_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  // Sidecars (.shx, .dbf, .prj, .cpg) are looked up by name, never by listing the folder.
  GDAL_DISABLE_READDIR_ON_OPEN: 'EMPTY_DIR',
  // /vsicurl/ only opens URLs ending in this extension: none will.
  CPL_VSIL_CURL_ALLOWED_EXTENSIONS: '.zhanbu-no-network',
  // Any HTTP fetch (a GeoJSON "crs" link, a remote SRS) goes to a closed local port and gives up at once.
  GDAL_HTTP_PROXY: '127.0.0.1:9',
  GDAL_HTTP_TIMEOUT: '1',
  GDAL_HTTP_CONNECTTIMEOUT: '1',
  GDAL_HTTP_MAX_RETRY: '0',
  GDAL_HTTP_NETRC: 'NO',
  // No Python pixel functions in VRTs, should a VRT ever be opened.
  GDAL_VRT_ENABLE_PYTHON: 'NO',
});

let hardened = false;

/** Applies HARDENING_OPTIONS (idempotent). Called by every open below and once at service start. */
export function hardenGdal(): void {
  if (hardened) return;
  for (const [k, v] of Object.entries(HARDENING_OPTIONS)) gdal.config.set(k, v);
  hardened = true;
}

/** The format an extension promises, or undefined for names that promise nothing. */
export function formatOfName(name: string): UploadFormat | 'zip' | undefined {
  const n = name.toLowerCase();
  if (n.endsWith('.zip')) return 'zip';
  if (n.endsWith('.shp')) return 'shapefile';
  if (n.endsWith('.gdb')) return 'filegdb';
  if (n.endsWith('.gpkg')) return 'gpkg';
  if (n.endsWith('.fgb')) return 'flatgeobuf';
  if (n.endsWith('.geojson') || n.endsWith('.json')) return 'geojson';
  return undefined;
}

/**
 * Why a name the user chose (a file name, a path inside a zip) must not be used near GDAL, or
 * undefined: a `/vsi…/` handler anywhere in it (GDAL reads those from the network or from inside
 * other archives), a `PG:`, `http:` or other connection prefix, XML (an inline VRT), or control
 * characters.
 */
export function unsafeNameReason(name: string): string | undefined {
  if (/(^|[\\/])vsi[a-z0-9_]*([\\/]|$)/i.test(name)) return '包含GDAL虚拟文件系统前缀（/vsi…）';
  return unsafePathReason(name);
}

/**
 * The same for a path we built ourselves (work folder + user's name): GDAL takes a path for a
 * virtual file only when it starts with `/vsi`, so only a prefix counts here — an administrator's
 * work folder may well have a segment called `vsites`.
 */
function unsafePathReason(path: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- intentional: a path with control characters is refused
  if (/[\x00-\x1f]/.test(path)) return '包含控制字符';
  if (/^\s*[\\/]vsi/i.test(path)) return '包含GDAL虚拟文件系统前缀（/vsi…）';
  if (/^\s*[a-z][a-z0-9_+.-]+:/i.test(path)) return '以数据源连接前缀（如PG:、http:）开头';
  if (/<\s*OGRVRTDataSource|<\s*VRTDataset/i.test(path)) return '包含VRT定义';
  return undefined;
}

const unsafeName = (shown: string, reason: string) =>
  badInput('file-name-unsafe', 'Unsafe file name', `文件名“${shown.slice(0, 200)}”${reason}，已拒绝`, { file: shown.slice(0, 200) });

/** Refuses (422 file-name-unsafe) a user-given name GDAL could take for something other than a local file. */
export function assertSafeName(name: string, shown = name): void {
  const reason = unsafeNameReason(name);
  if (reason) throw unsafeName(shown, reason);
}

function head(path: string, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const FGB_MAGIC = Buffer.from([0x66, 0x67, 0x62, 0x03]); // "fgb" + major version 3

/** GeoJSON: a JSON object, i.e. `{` after an optional BOM and whitespace. */
function looksLikeGeoJson(buf: Buffer): boolean {
  let i = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i++;
  return buf[i] === 0x7b;
}

/** What a single file is by its first bytes (the formats that are one file). */
export function sniffFormat(path: string): Exclude<UploadFormat, 'shapefile' | 'filegdb'> | undefined {
  const buf = head(path, 1024);
  if (buf.subarray(0, 16).equals(SQLITE_MAGIC)) return 'gpkg';
  if (buf.subarray(0, 4).equals(FGB_MAGIC)) return 'flatgeobuf';
  if (looksLikeGeoJson(buf)) return 'geojson';
  return undefined;
}

/** True when the file starts the way a file of that format must. */
function contentMatches(path: string, format: UploadFormat): boolean {
  switch (format) {
    case 'shapefile': {
      const buf = head(path, 4);
      return buf.length === 4 && buf.readInt32BE(0) === 9994; // 0x0000270A, the .shp file code
    }
    case 'gpkg':
      return head(path, 16).equals(SQLITE_MAGIC);
    case 'flatgeobuf':
      return head(path, 4).equals(FGB_MAGIC);
    case 'geojson':
      return looksLikeGeoJson(head(path, 1024));
    case 'filegdb': {
      // A .gdb folder: its catalog table, and every table and table index starting with the
      // version word FileGDB writes (3; 4 for 64-bit object ids).
      if (!statSync(path).isDirectory()) return false;
      const names = readdirSync(path);
      if (!names.some((n) => n.toLowerCase() === 'a00000001.gdbtable')) return false;
      return names
        .filter((n) => /\.gdbtabl[ex]$/i.test(n))
        .every((n) => {
          const buf = head(`${path}/${n}`, 4);
          return buf.length === 4 && (buf.readInt32LE(0) === 3 || buf.readInt32LE(0) === 4);
        });
    }
  }
}

/**
 * Refuses (422 file-content-mismatch) a dataset whose content is not what its format — decided
 * from its extension — requires, and any path GDAL could read as something else.
 */
export function assertUploadContent(path: string, format: UploadFormat, shownName = basename(path)): void {
  const reason = unsafePathReason(path);
  if (reason) throw unsafeName(shownName, reason);
  if (!contentMatches(path, format)) {
    throw badInput(
      'file-content-mismatch',
      'File content does not match its name',
      `文件“${shownName}”的内容不是${FORMAT_LABEL[format]}格式（文件头与扩展名不符），已拒绝；请上传真实的${FORMAT_LABEL[format]}文件`,
      { file: shownName, expected: format },
    );
  }
}

export interface UploadDataset {
  format: UploadFormat;
  /** What GDAL opens: a .shp, a .gdb folder, a .gpkg, .geojson or .fgb file. */
  datasetPath: string;
}

function unreadable(format: UploadFormat, err: unknown) {
  return badInput('file-unreadable', 'File cannot be opened', `${FORMAT_LABEL[format]}文件无法打开：${(err as Error).message}`);
}

/** Opens an upload read-only with its format's driver only, after the checks above. */
export function openUpload(source: UploadDataset): gdal.Dataset {
  hardenGdal();
  assertUploadContent(source.datasetPath, source.format);
  try {
    return gdal.open(source.datasetPath, 'r', [UPLOAD_DRIVERS[source.format]]);
  } catch (err) {
    throw unreadable(source.format, err);
  }
}

/** openUpload, off the event loop. */
export async function openUploadAsync(source: UploadDataset): Promise<gdal.Dataset> {
  hardenGdal();
  assertUploadContent(source.datasetPath, source.format);
  try {
    return await gdal.openAsync(source.datasetPath, 'r', [UPLOAD_DRIVERS[source.format]]);
  } catch (err) {
    throw unreadable(source.format, err);
  }
}

/** Deeper than any GeoJSON needs: a MultiPolygon in a FeatureCollection is 7 levels, plus nested properties. */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses (422 geojson-too-deep) a JSON file nested deeper than maxDepth, reading it as a stream
 * and counting brackets outside strings — before JSON.parse, the validator or GDAL, whose
 * recursion a 200,000-deep array would exhaust (a 500 instead of an answer).
 */
export async function assertJsonDepth(path: string, shownName = basename(path), maxDepth = MAX_JSON_DEPTH): Promise<void> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let offset = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true; // \
        else if (c === 0x22) inString = false; // "
      } else if (c === 0x22) inString = true;
      else if (c === 0x5b || c === 0x7b) {
        // [ {
        if (++depth > maxDepth) {
          throw badInput('geojson-too-deep', 'GeoJSON nested too deeply', `GeoJSON文件“${shownName}”在第${offset + i}字节处嵌套超过${maxDepth}层，不是有效的地块数据，已拒绝`, {
            file: shownName,
            maxDepth,
          });
        }
      } else if (c === 0x5d || c === 0x7d) depth--; // ] }
    }
    offset += buf.length;
  }
}
