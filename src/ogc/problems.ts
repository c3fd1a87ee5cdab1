import { Problem } from '../http/problem.js';

/**
 * The OGC API's refusals of a request parameter: each a 400 naming the parameter (`parameter`), so
 * a GIS client's log says which one to fix. Written out one by one so the error catalogue's test
 * sees every code with its status.
 */
export const bboxInvalid = (detail: string) => new Problem(400, 'bbox-invalid', 'Invalid bbox', detail, { parameter: 'bbox' });
export const crsUnsupported = (parameter: 'crs' | 'bbox-crs', detail: string) => new Problem(400, 'crs-unsupported', 'Unsupported CRS', detail, { parameter });
export const parameterUnknown = (parameter: string, detail: string) => new Problem(400, 'parameter-unknown', 'Unknown parameter', detail, { parameter });
export const filterValueInvalid = (parameter: string, detail: string) => new Problem(400, 'filter-value-invalid', 'Invalid filter value', detail, { parameter });
export const cursorInvalid = (parameter: 'after' | 'before', detail: string) => new Problem(400, 'cursor-invalid', 'Invalid page position', detail, { parameter });
export const datetimeInvalid = (detail: string) => new Problem(400, 'datetime-invalid', 'Invalid datetime', detail, { parameter: 'datetime' });
export const tileOutOfRange = (detail: string) => new Problem(400, 'tile-out-of-range', 'Tile outside the matrix', detail, { parameter: 'z/x/y' });
