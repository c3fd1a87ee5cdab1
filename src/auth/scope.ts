import pg from 'pg';
import { inTransaction, streamInTransaction, type TxControl } from '../db/transaction.js';
import { levelOf, scopePrefix, type Role } from '../domain/procedure/actors.js';

/** The authenticated user of a request, with the jurisdiction its queries are confined to. */
export interface AuthUser {
  id: string;
  login: string;
  name: string;
  role: Role;
  /** normalised GB/T 2260 code: 360000, 361100, 361123 or 361123100 */
  adminCode: string;
  /** code prefix of the jurisdiction: 36, 3611 or 361123 */
  prefix: string;
  /** township users: their 9-digit township; otherwise null */
  township: string | null;
}

export function authUser(row: { id: string; login: string; display_name: string; role: Role; admin_code: string }): AuthUser {
  return {
    id: row.id,
    login: row.login,
    name: row.display_name,
    role: row.role,
    adminCode: row.admin_code,
    prefix: scopePrefix(row.role, row.admin_code),
    township: levelOf(row.role) === 'township' ? row.admin_code : null,
  };
}

const SCOPED: unique symbol = Symbol('zhanbu.scoped');

/**
 * A transaction confined to a user's jurisdiction by PostgreSQL row-level security: it runs as the
 * non-owner role zhanbu_app with the user's code prefix, township and identity in transaction-local
 * settings (migrations/0003). Only `withScope` makes one, so a repository function that takes a
 * `Scoped` cannot be called without a user's scope. Outside a scope the connection is the service's
 * login zhanbu_service (BYPASSRLS, no superuser, owns nothing; migrations/0007): the system context.
 */
export interface Scoped {
  readonly [SCOPED]: true;
  readonly client: pg.PoolClient;
  readonly user: AuthUser;
}

/** The role RLS policies apply to (created by migrations/0003). */
export const APP_DB_ROLE = 'zhanbu_app';

/**
 * The statement that opens a scoped transaction: BEGIN and the scope settings in one simple-protocol
 * message, so one round trip instead of two. Every statement of a scoped transaction waits its turn
 * on the event loop, and under a burst of requests each round trip saved is a wait saved for every
 * transaction (200 simultaneous reads: 5 round trips each → 4). A multi-statement message cannot
 * carry parameters, so the values are quoted literals (pg's escapeLiteral: quotes and backslashes
 * doubled); they come from the user's row, never from the request. Any failure aborts the
 * transaction, which withScope then rolls back: nothing runs unscoped.
 */
export function beginScopeSql(user: AuthUser, begin: 'BEGIN' | 'BEGIN READ ONLY' = 'BEGIN'): string {
  const lit = (v: string) => pg.escapeLiteral(v);
  return (
    `${begin}; SELECT set_config('role', ${lit(APP_DB_ROLE)}, true), set_config('zhanbu.scope_prefix', ${lit(user.prefix)}, true), ` +
    `set_config('zhanbu.township', ${lit(user.township ?? '')}, true), set_config('zhanbu.user_id', ${lit(user.id)}, true), ` +
    `set_config('zhanbu.user_login', ${lit(user.login)}, true), set_config('zhanbu.user_role', ${lit(user.role)}, true)`
  );
}

/** Runs fn in one transaction as the user's scope; commits when it resolves, rolls back when it throws. */
export function withScope<T>(pool: pg.Pool, user: AuthUser, fn: (tx: Scoped) => Promise<T>): Promise<T> {
  return inTransaction(pool, beginScopeSql(user), (client) => fn({ [SCOPED]: true, client, user }));
}

/**
 * withScope for a read made of few statements (a vector tile): the transaction is READ ONLY, `first`
 * — a statement with literal values only, the read that decides the rest — travels in the message
 * that opens the scope, and fn may send its last statements with the COMMIT (control.commitWith):
 * two round trips in all instead of four or more. `first` runs after the scope settings, in the
 * user's scope like everything else of the transaction.
 */
export function withReadScope<T>(pool: pg.Pool, user: AuthUser, first: string, fn: (tx: Scoped, first: pg.QueryResult, control: TxControl) => Promise<T>): Promise<T> {
  return inTransaction(pool, `${beginScopeSql(user, 'BEGIN READ ONLY')}; ${first}`, (client, control) => fn({ [SCOPED]: true, client, user }, control.opened.at(-1)!, control));
}

/**
 * withScope for an answer streamed while it is read: the transaction stays open while the caller
 * pulls values and ends when the generator finishes (COMMIT) or is closed early — a client that
 * hangs up, an error — (ROLLBACK). Nothing of it runs outside the user's scope.
 */
export function withScopeStream<T>(pool: pg.Pool, user: AuthUser, fn: (tx: Scoped) => AsyncGenerator<T>): AsyncGenerator<T> {
  return streamInTransaction(pool, beginScopeSql(user), (client) => fn({ [SCOPED]: true, client, user }));
}
