import { open, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { badInput } from '../http/problem.js';

/** Finds a sibling of a .shp by extension, whatever the case of either (DLTB.SHP + dltb.dbf). */
export async function sibling(shpPath: string, ext: string): Promise<string | undefined> {
  const dir = dirname(shpPath);
  const stem = basename(shpPath).replace(/\.shp$/i, '').toLowerCase();
  const hit = (await readdir(dir)).find((f) => f.toLowerCase() === `${stem}.${ext}`);
  return hit ? join(dir, hit) : undefined;
}

async function readHeader(path: string, length: number): Promise<{ buf: Buffer; size: number }> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, 0);
    return { buf: buf.subarray(0, bytesRead), size: (await fh.stat()).size };
  } finally {
    await fh.close();
  }
}

/**
 * Checks a shapefile set is complete and not truncated, so a broken upload is refused up front
 * with a precise reason instead of failing halfway through the load.
 */
export async function checkShapefileSet(shpPath: string): Promise<{ prj?: string; cpg?: string; dbf: string }> {
  const name = basename(shpPath);
  const shx = await sibling(shpPath, 'shx');
  const dbf = await sibling(shpPath, 'dbf');
  const missing = [!shx && '.shx', !dbf && '.dbf'].filter(Boolean);
  if (missing.length) {
    throw badInput('shapefile-incomplete', 'Shapefile set incomplete', `Shapefile“${name}”缺少${missing.join('、')}文件；请将同名的.shp、.shx、.dbf、.prj一起压缩上传`, {
      missing,
    });
  }
  for (const [path, label] of [
    [shpPath, '.shp'],
    [shx!, '.shx'],
  ] as const) {
    const { buf, size } = await readHeader(path, 100);
    if (buf.length < 100 || buf.readInt32BE(0) !== 9994) {
      throw badInput('shapefile-corrupt', 'Shapefile header invalid', `${label}文件头无效（不是Shapefile格式或已损坏）`);
    }
    const declared = buf.readInt32BE(24) * 2; // file length in 16-bit words
    if (size < declared) {
      throw badInput('shapefile-truncated', 'Shapefile truncated', `${label}文件被截断：文件头声明${declared}字节，实际只有${size}字节`, {
        declaredBytes: declared,
        actualBytes: size,
      });
    }
  }
  const { buf, size } = await readHeader(dbf!, 32);
  if (buf.length < 32) throw badInput('shapefile-corrupt', 'DBF header invalid', '.dbf文件头无效或已损坏');
  const records = buf.readUInt32LE(4);
  const headerLen = buf.readUInt16LE(8);
  const recordLen = buf.readUInt16LE(10);
  if (size < headerLen + records * recordLen) {
    throw badInput('shapefile-truncated', 'DBF truncated', `.dbf文件被截断：应有${records}条记录（${headerLen + records * recordLen}字节），实际只有${size}字节`);
  }
  return { dbf: dbf!, prj: await sibling(shpPath, 'prj'), cpg: await sibling(shpPath, 'cpg') };
}

/** DBF language driver ids GDAL maps to code pages; 0x4D/0x7A are what Chinese tools write. */
const LDID_NAMES: Record<number, string> = { 0x4d: 'CP936', 0x7a: 'CP936', 0x57: 'ISO-8859-1', 0x03: 'CP1252', 0x01: 'CP437' };

export interface EncodingDecision {
  encoding: string;
  source: 'parameter' | 'cpg' | 'ldid' | 'detected';
  note?: string;
}

/** True when the bytes are valid UTF-8 and contain at least one non-ASCII sequence. */
function looksLikeUtf8(bytes: Buffer): boolean | undefined {
  if (!bytes.some((b) => b >= 0x80)) return undefined; // pure ASCII: no evidence either way
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides the DBF encoding: an explicit parameter wins, then a .cpg, then the language byte;
 * with neither, the records are sniffed: valid UTF-8 stays UTF-8, anything else is read as GBK
 * (CP936), which is what Chinese GIS tools write. The decision is pinned by writing a .cpg
 * next to the extracted copy, which GDAL's Shapefile driver honours.
 */
export async function decideDbfEncoding(shpPath: string, dbfPath: string, cpgPath: string | undefined, requested?: string): Promise<EncodingDecision> {
  const cpgTarget = cpgPath ?? shpPath.replace(/\.shp$/i, '.cpg');
  if (requested) {
    await writeFile(cpgTarget, requested);
    return { encoding: requested, source: 'parameter' };
  }
  if (cpgPath) {
    const text = (await readHeader(cpgPath, 64)).buf.toString('latin1').trim();
    if (text) return { encoding: text, source: 'cpg' };
  }
  const { buf } = await readHeader(dbfPath, 32);
  const ldid = buf[29] ?? 0;
  if (ldid !== 0 && LDID_NAMES[ldid]) return { encoding: LDID_NAMES[ldid], source: 'ldid' };

  const size = (await stat(dbfPath)).size;
  const headerLen = buf.readUInt16LE(8);
  const sampleLen = Math.min(size - headerLen, 4 * 1024 * 1024);
  const fh = await open(dbfPath, 'r');
  let sample: Buffer;
  try {
    sample = Buffer.alloc(Math.max(0, sampleLen));
    await fh.read(sample, 0, sample.length, headerLen);
  } finally {
    await fh.close();
  }
  // Cut at the last byte below 0x80 so a multi-byte character split by the sample edge is not "invalid".
  let end = sample.length;
  while (end > 0 && sample[end - 1]! >= 0x80) end--;
  const utf8 = looksLikeUtf8(sample.subarray(0, end));
  const encoding = utf8 === true ? 'UTF-8' : 'CP936';
  await writeFile(cpgTarget, encoding);
  return {
    encoding,
    source: 'detected',
    note:
      utf8 === undefined
        ? '属性中没有非ASCII字符，按GBK读取'
        : utf8
          ? '无.cpg且无语言标识，属性内容为有效UTF-8，按UTF-8读取'
          : '无.cpg且无语言标识，属性内容不是UTF-8，按GBK（CP936）读取',
  };
}
