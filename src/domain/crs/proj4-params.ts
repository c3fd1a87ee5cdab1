/** Parsing of PROJ.4-style definition strings, as GDAL's OSR exportToProj4() produces them. */

export interface Proj4Params {
  /** key → value; flags such as +no_defs map to ''. Keys are lower-case, without '+'. */
  readonly values: ReadonlyMap<string, string>;
}

export function parseProj4(def: string): Proj4Params {
  const values = new Map<string, string>();
  for (const raw of def.trim().split(/\s+/)) {
    if (raw === '') continue;
    const token = raw.startsWith('+') ? raw.slice(1) : raw;
    const eq = token.indexOf('=');
    if (eq < 0) values.set(token.toLowerCase(), '');
    else values.set(token.slice(0, eq).toLowerCase(), token.slice(eq + 1));
  }
  return { values };
}

export function getString(p: Proj4Params, key: string): string | undefined {
  return p.values.get(key);
}

/** Numeric parameter; undefined when absent, NaN when present but not a number. */
export function getNumber(p: Proj4Params, key: string): number | undefined {
  const v = p.values.get(key);
  if (v === undefined) return undefined;
  return v.trim() === '' ? Number.NaN : Number(v);
}

export interface EllipsoidParams {
  a: number;
  /** Inverse flattening; Infinity for a sphere. */
  rf: number;
  /** PROJ ellipsoid or datum name it came from, when named. */
  name?: string;
}

const NAMED_ELLIPSOIDS: Record<string, { a: number; rf: number }> = {
  grs80: { a: 6378137, rf: 298.257222101 },
  wgs84: { a: 6378137, rf: 298.257223563 },
  krass: { a: 6378245, rf: 298.3 },
  iau76: { a: 6378140, rf: 298.257 },
  clrk66: { a: 6378206.4, rf: 294.978698213898 },
  intl: { a: 6378388, rf: 297 },
  bessel: { a: 6377397.155, rf: 299.1528128 },
};

const DATUM_ELLIPSOIDS: Record<string, string> = {
  wgs84: 'wgs84',
  nad83: 'grs80',
  nad27: 'clrk66',
  potsdam: 'bessel',
};

/** The ellipsoid a definition uses, from +ellps, +datum or +a with +rf/+f/+b/+es/+e/+R. */
export function ellipsoidOf(p: Proj4Params): EllipsoidParams | undefined {
  const a = getNumber(p, 'a');
  if (a !== undefined && Number.isFinite(a)) {
    const r = getNumber(p, 'rf');
    if (r !== undefined) return { a, rf: r };
    const f = getNumber(p, 'f');
    if (f !== undefined) return { a, rf: f === 0 ? Infinity : 1 / f };
    const b = getNumber(p, 'b');
    if (b !== undefined) return { a, rf: a === b ? Infinity : a / (a - b) };
    const es = getNumber(p, 'es') ?? (getNumber(p, 'e') ?? Number.NaN) ** 2;
    if (Number.isFinite(es)) {
      const fl = 1 - Math.sqrt(1 - es);
      return { a, rf: fl === 0 ? Infinity : 1 / fl };
    }
  }
  const R = getNumber(p, 'r');
  if (R !== undefined && Number.isFinite(R)) return { a: R, rf: Infinity, name: 'sphere' };
  const ellps = getString(p, 'ellps')?.toLowerCase();
  if (ellps !== undefined) {
    const e = NAMED_ELLIPSOIDS[ellps];
    if (e) return { ...e, name: ellps };
    return { a: Number.NaN, rf: Number.NaN, name: ellps };
  }
  const datum = getString(p, 'datum')?.toLowerCase();
  if (datum !== undefined) {
    const en = DATUM_ELLIPSOIDS[datum];
    const e = en ? NAMED_ELLIPSOIDS[en] : undefined;
    if (en && e) return { ...e, name: en };
    return { a: Number.NaN, rf: Number.NaN, name: datum };
  }
  if (a !== undefined) return { a, rf: Infinity };
  return undefined;
}
