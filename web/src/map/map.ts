/** One MapLibre map per view, on the county's own layers (vector tiles of /ogc when the service has them). */
import { Map as MlMapClass, NavigationControl, ScaleControl, prewarm, setWorkerUrl, type LngLatBoundsLike, type Map as MlMap } from 'maplibre-gl';
import { fetchGet } from '../api';
// MapLibre's worker ships as its own hashed file from this origin (never a CDN).
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { baseStyle } from './style';

interface WorkspaceConfig {
  basemapUrl: string | null;
}
setWorkerUrl(workerUrl);

/** Starts MapLibre's worker before the first map is made (it is otherwise started by it): its script loads and parses meanwhile. */
export const prewarmMap = (): void => prewarm();

let config: Promise<WorkspaceConfig> | undefined;
const workspaceConfig = () =>
  (config ??= fetchGet('/workspace.json')
    .then((r) => (r.ok ? (r.json() as Promise<WorkspaceConfig>) : { basemapUrl: null }))
    .catch(() => ({ basemapUrl: null })));

export async function createMap(container: HTMLElement): Promise<MlMap> {
  const { basemapUrl } = await workspaceConfig();
  const map = new MlMapClass({
    container,
    style: baseStyle(basemapUrl),
    center: [118.24, 28.68],
    zoom: 9,
    attributionControl: false,
    localIdeographFontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', sans-serif",
    // Labels appear at once: their fade-in kept the map drawing (and not idle) for another 300 ms of
    // frames, and a frame is dear without a GPU. The drawing buffer is not kept (each frame would copy
    // it); screenshots come from the page (the browser tests read the map's pixels from one).
    fadeDuration: 0,
  });
  // MapLibre reports failed tiles and sources here; the message, not the minified error object.
  map.on('error', (e) => console.error(`地图加载错误：${e.error?.message ?? '未知错误'}`));
  map.addControl(new NavigationControl({ showCompass: false }), 'top-left');
  map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-left');
  await new Promise<void>((resolve) => map.once('load', () => resolve()));
  return map;
}

/** Collections of the OGC API (vector tiles) this service offers the user, by id; empty when it has none. */
export async function tileCollections(): Promise<Set<string>> {
  try {
    const res = await fetchGet('/ogc/collections');
    if (!res.ok) return new Set();
    const body = (await res.json()) as { collections?: { id: string }[] };
    return new Set((body.collections ?? []).map((c) => c.id));
  } catch {
    return new Set();
  }
}

export const tileUrl = (collection: string) => `${location.origin}/ogc/collections/${collection}/tiles/WebMercatorQuad/{z}/{y}/{x}`;

/** The bounds of GeoJSON features (lon/lat), or null when there are none. */
export function boundsOf(features: GeoJSON.Feature[]): LngLatBoundsLike | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      const [x, y] = c as number[];
      minX = Math.min(minX, x!);
      maxX = Math.max(maxX, x!);
      minY = Math.min(minY, y!);
      maxY = Math.max(maxY, y!);
    } else if (Array.isArray(c)) c.forEach(walk);
  };
  for (const f of features) if (f.geometry && 'coordinates' in f.geometry) walk(f.geometry.coordinates);
  return Number.isFinite(minX) ? [minX, minY, maxX, maxY] : null;
}
