import type pg from 'pg';
import type { Scoped } from '../auth/scope.js';
import type { CheckThresholds } from '../domain/checks/parameters.js';

type Db = pg.Pool | pg.PoolClient;

export interface ParameterSetRow {
  version: number;
  parameters: CheckThresholds;
  valid_from: Date;
  set_by: string;
  reason: string;
  created_at: Date;
}

const COLUMNS = 'version, parameters, valid_from, set_by, reason, created_at';

/**
 * The parameter set in force: the highest version already valid. Read in the system context by
 * the checks, and in a user's scope (every user may read it) by verification.
 */
export async function inForce(db: Db): Promise<ParameterSetRow> {
  const { rows } = await db.query<ParameterSetRow>(
    `SELECT ${COLUMNS} FROM candidate.check_parameter_set WHERE valid_from <= clock_timestamp() ORDER BY version DESC LIMIT 1`,
  );
  // Migration 0008 seeds version 1 and the table is append-only: there is always one.
  if (!rows[0]) throw new Error('no check parameter set in force (migration 0008 not applied?)');
  return rows[0];
}

export async function listVersions(tx: Scoped): Promise<ParameterSetRow[]> {
  const { rows } = await tx.client.query<ParameterSetRow>(`SELECT ${COLUMNS} FROM candidate.check_parameter_set ORDER BY version DESC`);
  return rows;
}

/**
 * Appends a version. Its number, time and author are set by the table's trigger from the
 * transaction's user; the row-level policy admits the insert only for a province administrator.
 */
export async function publish(tx: Scoped, parameters: CheckThresholds, reason: string): Promise<ParameterSetRow> {
  const { rows } = await tx.client.query<ParameterSetRow>(
    `INSERT INTO candidate.check_parameter_set (parameters, reason) VALUES ($1, $2) RETURNING ${COLUMNS}`,
    [JSON.stringify(parameters), reason],
  );
  return rows[0]!;
}
