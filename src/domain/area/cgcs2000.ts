/**
 * CGCS2000 reference ellipsoid (国家大地坐标系2000). Its a and f equal GRS80's; the survey
 * area of record is computed on it (DOMAIN.md §6).
 */

/** Semi-major axis a, metres. */
export const CGCS2000_A = 6378137;
/** Inverse flattening 1/f. */
export const CGCS2000_RF = 298.257222101;
/** Flattening f. */
export const CGCS2000_F = 1 / CGCS2000_RF;
/** Semi-minor axis b = a(1 − f), metres. */
export const CGCS2000_B = CGCS2000_A * (1 - CGCS2000_F);
/** First eccentricity squared e² = f(2 − f). */
export const CGCS2000_E2 = CGCS2000_F * (2 - CGCS2000_F);
/** First eccentricity e. */
export const CGCS2000_E = Math.sqrt(CGCS2000_E2);
/** Third flattening n = f / (2 − f) = (a − b)/(a + b), the parameter of the Krüger series. */
export const CGCS2000_N = CGCS2000_F / (2 - CGCS2000_F);

export const DEG = Math.PI / 180;
export const RAD = 180 / Math.PI;
