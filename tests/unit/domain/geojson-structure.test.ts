import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkGeoJsonStructure } from '../../../src/candidates/geojson-structure.js';
import { geoJsonStructureFault } from '../../../src/domain/geojson/structure.js';
import { Problem } from '../../../src/http/problem.js';
import { geoJsonStructureOffThread, geometryWorkers } from '../../../src/workers/geometry.js';

const config = { geometryWorkers: 1, geometryTaskTimeoutMs: 10_000 };
afterAll(() => geometryWorkers(config).close());

const square = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]];
const fc = (coordinates: unknown) => JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates } }] });

describe('GeoJSON structure', () => {
  it('a sound FeatureCollection (with a BOM) has no fault', () => {
    expect(geoJsonStructureFault(`\uFEFF${fc(square)}`)).toBeUndefined();
  });

  it('text that is not JSON is named as such, with the parser message', () => {
    expect(geoJsonStructureFault('{"type":"FeatureCollection","features":[')).toMatchObject({ kind: 'not-json', message: expect.any(String) });
  });

  it('an open ring is one complaint; the list kept is bounded but the count is not', () => {
    expect(geoJsonStructureFault(fc([square[0]!.slice(0, -1)]))).toMatchObject({ kind: 'invalid', count: 1, errors: [expect.stringMatching(/first and last positions/)] });
    const many = JSON.stringify({ type: 'FeatureCollection', features: Array.from({ length: 30 }, () => ({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [square[0]!.slice(0, -1)] } })) });
    const f = geoJsonStructureFault(many, 5);
    expect(f).toMatchObject({ kind: 'invalid', count: 30 });
    expect(f && f.kind === 'invalid' && f.errors).toHaveLength(5);
  });

  it('the worker reads and checks a file off the request thread, answering the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zhanbu-gjs-'));
    writeFileSync(join(dir, 'ok.geojson'), fc(square));
    writeFileSync(join(dir, 'open.geojson'), fc([square[0]!.slice(0, -1)]));
    expect(await geoJsonStructureOffThread(config, join(dir, 'ok.geojson'), 10_000)).toBeNull();
    expect(await geoJsonStructureOffThread(config, join(dir, 'open.geojson'), 10_000)).toMatchObject({ kind: 'invalid', count: 1 });
  });

  it('a file above ZHANBU_MAX_GEOJSON_BYTES is refused before it is parsed (422 geojson-too-large, advice in Chinese)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zhanbu-gjs-'));
    writeFileSync(join(dir, 'big.geojson'), fc(square));
    const err = await checkGeoJsonStructure({ ...config, maxGeoJsonStructureBytes: 100 }, join(dir, 'big.geojson')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Problem);
    expect(err).toMatchObject({ status: 422, code: 'geojson-too-large' });
    expect((err as Problem).detail).toContain('Shapefile');
    await expect(checkGeoJsonStructure({ ...config, maxGeoJsonStructureBytes: 1024 ** 2 }, join(dir, 'big.geojson'))).resolves.toBeUndefined();
  });
});
