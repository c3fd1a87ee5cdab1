import { stat } from 'node:fs/promises';
import type { Config } from '../config.js';
import { badInput, Problem } from '../http/problem.js';
import { geoJsonStructureOffThread } from '../workers/geometry.js';
import { WorkerBusyError, WorkerTimeoutError } from '../workers/pool.js';

/**
 * Time limit of one structural check. A 48 MB file takes 1.5–2.5 s on one core; the limit leaves
 * room for a loaded machine and still frees the thread of anything pathological.
 */
export const STRUCTURE_CHECK_TIMEOUT_MS = 30_000;

/**
 * Structural GeoJSON validation (RFC 7946) before GDAL reads the file, because GDAL quietly
 * repairs some defects — an unclosed ring is closed, for instance — that the official should see.
 * Uses geojson-validation, the validator the project was asked to use; it checks ring closure,
 * position arity and member types, which is exactly what the uploads need.
 *
 * Parsing and validating tens of megabytes takes seconds of CPU, so it runs on the geometry worker
 * pool (bounded queue, time limit): the request thread keeps answering everyone else meanwhile.
 */
export async function checkGeoJsonStructure(config: Pick<Config, 'geometryWorkers' | 'geometryTaskTimeoutMs' | 'maxGeoJsonStructureBytes'>, path: string): Promise<void> {
  const size = (await stat(path)).size;
  // Above the limit the file is not parsed in memory for the structural check: refused.
  if (size > config.maxGeoJsonStructureBytes) {
    throw badInput('geojson-too-large', 'GeoJSON too large', `GeoJSON文件${(size / 1024 ** 2).toFixed(0)}MB，超过${(config.maxGeoJsonStructureBytes / 1024 ** 2).toFixed(0)}MB上限；请改用压缩的Shapefile或GeoPackage`);
  }
  let fault;
  try {
    fault = await geoJsonStructureOffThread(config, path, STRUCTURE_CHECK_TIMEOUT_MS);
  } catch (err) {
    if (err instanceof WorkerTimeoutError) {
      throw badInput('geojson-too-complex', 'GeoJSON check took too long', `GeoJSON结构检查超过${err.timeoutMs / 1000}秒仍未完成，已拒绝；请拆分文件或改用压缩的Shapefile或GeoPackage`);
    }
    if (err instanceof WorkerBusyError) {
      throw new Problem(503, 'server-busy', 'Server busy', '几何检查任务排队已满，请稍后重试', { retryAfter: 5 });
    }
    throw err;
  }
  if (!fault) return;
  if (fault.kind === 'not-json') {
    throw badInput('geojson-invalid', 'Malformed GeoJSON', `GeoJSON不是合法的JSON：${fault.message}`);
  }
  throw badInput('geojson-invalid', 'GeoJSON structure invalid', `GeoJSON结构不合法（共${fault.count}处）：${fault.errors.slice(0, 5).join('；')}`, {
    errors: fault.errors.slice(0, 100),
  });
}
