/**
 * Gauss–Krüger (transverse Mercator, k0 = 1) on the CGCS2000 ellipsoid.
 *
 * Krüger's series in the third flattening n, carried to n⁶ (Karney 2011, "Transverse Mercator
 * with an accuracy of a few nanometers", eqs. 35–36; the conformal-latitude series are Engsager &
 * Poder's). Truncation error is at the nanometre level within a 3-degree (and 6-degree) zone, far
 * below the 1 mm the survey needs.
 */
import { CGCS2000_A, CGCS2000_N, DEG, RAD } from './cgcs2000.js';

export interface GaussKrugerZone {
  /** Central meridian, degrees east. */
  centralMeridian: number;
  /** 500000, or zone·1e6 + 500000 when the zone number is prefixed to the easting. */
  falseEasting: number;
  /** 0 for all CGCS2000 GK systems. */
  falseNorthing?: number;
}

const n = CGCS2000_N;
const n2 = n * n;
const n3 = n2 * n;
const n4 = n3 * n;
const n5 = n4 * n;
const n6 = n5 * n;

/** Rectifying radius: the length of a quarter meridian is A·π/2. */
export const RECTIFYING_RADIUS = (CGCS2000_A / (1 + n)) * (1 + n2 / 4 + n4 / 64 + n6 / 256);

// Coefficients are computed once; the series are summed by Clenshaw recurrences (one
// sin/cos pair per series instead of six, no allocation). This is the hot path of the area of
// record, run for every densified vertex.

// α_k: conformal sphere → ellipsoid plane (Karney 2011 eq. 35).
const A1 = n / 2 - (2 / 3) * n2 + (5 / 16) * n3 + (41 / 180) * n4 - (127 / 288) * n5 + (7891 / 37800) * n6;
const A2 = (13 / 48) * n2 - (3 / 5) * n3 + (557 / 1440) * n4 + (281 / 630) * n5 - (1983433 / 1935360) * n6;
const A3 = (61 / 240) * n3 - (103 / 140) * n4 + (15061 / 26880) * n5 + (167603 / 181440) * n6;
const A4 = (49561 / 161280) * n4 - (179 / 168) * n5 + (6601661 / 7257600) * n6;
const A5 = (34729 / 80640) * n5 - (3418889 / 1995840) * n6;
const A6 = (212378941 / 319334400) * n6;

// β_k: ellipsoid plane → conformal sphere, subtracted (Karney 2011 eq. 36).
const B1 = n / 2 - (2 / 3) * n2 + (37 / 96) * n3 - (1 / 360) * n4 - (81 / 512) * n5 + (96199 / 604800) * n6;
const B2 = (1 / 48) * n2 + (1 / 15) * n3 - (437 / 1440) * n4 + (46 / 105) * n5 - (1118711 / 3870720) * n6;
const B3 = (17 / 480) * n3 - (37 / 840) * n4 - (209 / 4480) * n5 + (5569 / 90720) * n6;
const B4 = (4397 / 161280) * n4 - (11 / 504) * n5 - (830251 / 7257600) * n6;
const B5 = (4583 / 161280) * n5 - (108847 / 3991680) * n6;
const B6 = (20648693 / 638668800) * n6;

// Geodetic φ → conformal χ: χ = φ + Σ c_k sin 2kφ.
const C1 = -2 * n + (2 / 3) * n2 + (4 / 3) * n3 - (82 / 45) * n4 + (32 / 45) * n5 + (4642 / 4725) * n6;
const C2 = (5 / 3) * n2 - (16 / 15) * n3 - (13 / 9) * n4 + (904 / 315) * n5 - (1522 / 945) * n6;
const C3 = -(26 / 15) * n3 + (34 / 21) * n4 + (8 / 5) * n5 - (12686 / 2835) * n6;
const C4 = (1237 / 630) * n4 - (12 / 5) * n5 - (24832 / 14175) * n6;
const C5 = -(734 / 315) * n5 + (109598 / 31185) * n6;
const C6 = (444337 / 155925) * n6;

// Conformal χ → geodetic φ: φ = χ + Σ d_k sin 2kχ.
const D1 = 2 * n - (2 / 3) * n2 - 2 * n3 + (116 / 45) * n4 + (26 / 45) * n5 - (2854 / 675) * n6;
const D2 = (7 / 3) * n2 - (8 / 5) * n3 - (227 / 45) * n4 + (2704 / 315) * n5 + (2323 / 945) * n6;
const D3 = (56 / 15) * n3 - (136 / 35) * n4 - (1262 / 105) * n5 + (73814 / 2835) * n6;
const D4 = (4279 / 630) * n4 - (332 / 35) * n5 - (399572 / 14175) * n6;
const D5 = (4174 / 315) * n5 - (144838 / 6237) * n6;
const D6 = (601676 / 22275) * n6;

const A = Float64Array.of(A1, A2, A3, A4, A5, A6);
const B = Float64Array.of(B1, B2, B3, B4, B5, B6);
const C = Float64Array.of(C1, C2, C3, C4, C5, C6);
const D = Float64Array.of(D1, D2, D3, D4, D5, D6);

/**
 * Σ_{k=1..6} c_k·sin(k·x) by Clenshaw, given s = sin x and c = cos x. `k` holds c_1..c_6 (a
 * module-level array: no allocation per point).
 */
function sinSeries6(k: Float64Array, s: number, c: number): number {
  const t = 2 * c;
  let b1 = 0;
  let b2 = 0;
  for (let i = 5; i >= 0; i--) {
    const b0 = t * b1 - b2 + k[i]!;
    b2 = b1;
    b1 = b0;
  }
  return b1 * s;
}

// Result of the complex series (re = Σ c sin kx cosh ky, im = Σ c cos kx sinh ky). Module-level
// to avoid a tuple per point; callers are synchronous, so sharing is safe.
const series = new Float64Array(2);

/** Σ_{k=1..6} c_k·sin(k·z), z = x + iy, by complex Clenshaw; `k` holds c_1..c_6. */
function sinSeries6Complex(k: Float64Array, x: number, y: number): void {
  const sx = Math.sin(x);
  const cx = Math.cos(x);
  const ey = Math.exp(y);
  const iey = 1 / ey;
  const chy = (ey + iey) / 2;
  const shy = (ey - iey) / 2;
  // t = 2·cos z
  const tr = 2 * cx * chy;
  const ti = -2 * sx * shy;
  let b1r = 0;
  let b1i = 0;
  let b2r = 0;
  let b2i = 0;
  for (let i = 5; i >= 0; i--) {
    const b0r = tr * b1r - ti * b1i - b2r + k[i]!;
    const b0i = tr * b1i + ti * b1r - b2i;
    b2r = b1r;
    b2i = b1i;
    b1r = b0r;
    b1i = b0i;
  }
  // × sin z
  const szr = sx * chy;
  const szi = cx * shy;
  series[0] = b1r * szr - b1i * szi;
  series[1] = b1r * szi + b1i * szr;
}

/**
 * Inverse projection into `out` as [lon, lat] in RADIANS; `lon0` is the central meridian in
 * radians. No allocation.
 */
export function gkInverseRadInto(
  out: Float64Array,
  easting: number,
  northing: number,
  lon0: number,
  falseEasting: number,
  falseNorthing: number,
): void {
  const xi = (northing - falseNorthing) / RECTIFYING_RADIUS;
  const eta = (easting - falseEasting) / RECTIFYING_RADIUS;
  sinSeries6Complex(B, 2 * xi, 2 * eta);
  const xip = xi - (series[0] as number);
  const etap = eta - (series[1] as number);
  const ee = Math.exp(etap);
  const shEta = (ee - 1 / ee) / 2;
  const sXi = Math.sin(xip);
  const cXi = Math.cos(xip);
  // sin χ = sin ξ′/cosh η′, cos χ = √(sinh²η′ + cos²ξ′)/cosh η′
  const r2 = shEta * shEta + cXi * cXi;
  const r = Math.sqrt(r2);
  const ch2 = 1 + shEta * shEta;
  const chi = Math.atan2(sXi, r);
  out[0] = lon0 + Math.atan2(shEta, cXi);
  out[1] = chi + sinSeries6(D, (2 * sXi * r) / ch2, (r2 - sXi * sXi) / ch2);
}

/** Forward projection into `out` as [easting, northing]; lon, lat, lon0 in RADIANS. */
export function gkForwardRadInto(
  out: Float64Array,
  lon: number,
  lat: number,
  lon0: number,
  falseEasting: number,
  falseNorthing: number,
): void {
  let lam = lon - lon0;
  if (lam > Math.PI) lam -= 2 * Math.PI;
  else if (lam < -Math.PI) lam += 2 * Math.PI;
  const sPhi = Math.sin(lat);
  const cPhi = Math.cos(lat);
  const chi = lat + sinSeries6(C, 2 * sPhi * cPhi, cPhi * cPhi - sPhi * sPhi);
  const sChi = Math.sin(chi);
  const cChi = Math.cos(chi);
  const cLamChi = cChi * Math.cos(lam);
  const xip = Math.atan2(sChi, cLamChi);
  const etap = Math.asinh((cChi * Math.sin(lam)) / Math.sqrt(sChi * sChi + cLamChi * cLamChi));
  sinSeries6Complex(A, 2 * xip, 2 * etap);
  out[0] = falseEasting + RECTIFYING_RADIUS * (etap + (series[1] as number));
  out[1] = falseNorthing + RECTIFYING_RADIUS * (xip + (series[0] as number));
}

const scratch = new Float64Array(2);

/** Plane (easting incl. false easting, northing) → [lon, lat] in degrees. */
export function gkToGeographic(easting: number, northing: number, zone: GaussKrugerZone): [lon: number, lat: number] {
  gkInverseRadInto(scratch, easting, northing, zone.centralMeridian * DEG, zone.falseEasting, zone.falseNorthing ?? 0);
  return [(scratch[0] as number) * RAD, (scratch[1] as number) * RAD];
}

/** [lon, lat] in degrees → plane [easting, northing] (easting includes the false easting). */
export function geographicToGk(lon: number, lat: number, zone: GaussKrugerZone): [easting: number, northing: number] {
  gkForwardRadInto(scratch, lon * DEG, lat * DEG, zone.centralMeridian * DEG, zone.falseEasting, zone.falseNorthing ?? 0);
  return [scratch[0] as number, scratch[1] as number];
}

/**
 * A 3-degree zone by number: zone 39 → CM 117°E, false easting 39 500 000 (prefixed) or 500 000.
 * Zones 1..120 are accepted; China uses 25..45.
 */
export function zoneFromNumber(zone3deg: number, prefixed: boolean): GaussKrugerZone {
  if (!Number.isInteger(zone3deg) || zone3deg < 1 || zone3deg > 120) {
    throw new RangeError(`not a 3-degree zone number: ${zone3deg}`);
  }
  return {
    centralMeridian: 3 * zone3deg,
    falseEasting: prefixed ? zone3deg * 1e6 + 500000 : 500000,
    falseNorthing: 0,
  };
}

/** Central meridian (degrees) of the 3-degree zone nearest to a longitude: 3·round(lon/3). */
export function nearestCentralMeridian3(lon: number): number {
  return 3 * Math.round(lon / 3);
}
