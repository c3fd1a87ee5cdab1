import GJV from 'geojson-validation';

/**
 * What is structurally wrong with a GeoJSON text (RFC 7946), or undefined when nothing is:
 * not JSON at all, or the validator's complaints (their number and the first `keep`).
 *
 * Pure, and CPU-heavy on a large file (JSON.parse and a walk of every position): it runs on a
 * worker thread (src/workers/geometry-worker.ts), never on the request thread.
 */
export type GeoJsonStructureFault =
  | { kind: 'not-json'; message: string }
  | { kind: 'invalid'; count: number; errors: string[] };

export function geoJsonStructureFault(text: string, keep = 100): GeoJsonStructureFault | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    return { kind: 'not-json', message: (err as Error).message };
  }
  const errors = GJV.valid(doc, true);
  if (errors.length === 0) return undefined;
  return { kind: 'invalid', count: errors.length, errors: errors.slice(0, keep) };
}
