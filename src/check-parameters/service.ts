import type pg from 'pg';
import { PERMISSIONS, requireRole } from '../auth/plugin.js';
import { withScope, type AuthUser } from '../auth/scope.js';
import { thresholdsOf } from '../domain/checks/parameters.js';
import * as repo from './repository.js';
import type { PublishParameterSet } from './schemas.js';
import { parameterSetView } from './view.js';

export async function current(pool: pg.Pool, user: AuthUser) {
  return withScope(pool, user, async (tx) => {
    const row = await repo.inForce(tx.client);
    return parameterSetView(row, row.version);
  });
}

export async function versions(pool: pg.Pool, user: AuthUser) {
  return withScope(pool, user, async (tx) => {
    const now = await repo.inForce(tx.client);
    return { items: (await repo.listVersions(tx)).map((r) => parameterSetView(r, now.version)) };
  });
}

/** Publishes a new version (province administrators only; refused again by the table's policy). */
export async function publish(pool: pg.Pool, user: AuthUser, input: PublishParameterSet) {
  requireRole(user, PERMISSIONS.publishCheckParameters, '发布候选地块检查参数');
  return withScope(pool, user, async (tx) => {
    const row = await repo.publish(tx, thresholdsOf(input.parameters), input.reason.trim());
    return parameterSetView(row, row.version);
  });
}
