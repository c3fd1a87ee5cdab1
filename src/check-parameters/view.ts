import { thresholdsOf } from '../domain/checks/parameters.js';
import type { ParameterSetRow } from './repository.js';
import type { ParameterSetViewT } from './schemas.js';

export function parameterSetView(row: ParameterSetRow, inForceVersion: number): ParameterSetViewT {
  return {
    version: row.version,
    parameters: thresholdsOf(row.parameters),
    validFrom: row.valid_from.toISOString(),
    setBy: row.set_by,
    reason: row.reason,
    createdAt: row.created_at.toISOString(),
    inForce: row.version === inForceVersion,
  };
}
