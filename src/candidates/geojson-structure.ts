import { readFile, stat } from 'node:fs/promises';
import GJV from 'geojson-validation';
import { badInput } from '../http/problem.js';

/** GeoJSON files above this are not parsed in memory for the structural check. */
const MAX_STRUCTURE_CHECK_BYTES = 64 * 1024 * 1024;

/**
 * Structural GeoJSON validation (RFC 7946) before GDAL reads the file, because GDAL quietly
 * repairs some defects — an unclosed ring is closed, for instance — that the official should see.
 * Uses geojson-validation, the validator the project was asked to use; it checks ring closure,
 * position arity and member types, which is exactly what the uploads need.
 */
export async function checkGeoJsonStructure(path: string): Promise<void> {
  const size = (await stat(path)).size;
  if (size > MAX_STRUCTURE_CHECK_BYTES) {
    throw badInput('geojson-too-large', 'GeoJSON too large', `GeoJSON文件${(size / 1024 ** 2).toFixed(0)}MB，超过${MAX_STRUCTURE_CHECK_BYTES / 1024 ** 2}MB上限；请改用压缩的Shapefile或GeoPackage`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse((await readFile(path, 'utf8')).replace(/^\uFEFF/, ''));
  } catch (err) {
    throw badInput('geojson-invalid', 'Malformed GeoJSON', `GeoJSON不是合法的JSON：${(err as Error).message}`);
  }
  const errors = GJV.valid(doc, true) as string[];
  if (errors.length > 0) {
    throw badInput('geojson-invalid', 'GeoJSON structure invalid', `GeoJSON结构不合法（共${errors.length}处）：${errors.slice(0, 5).join('；')}`, {
      errors: errors.slice(0, 100),
    });
  }
}
