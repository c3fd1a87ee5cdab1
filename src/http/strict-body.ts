import type { FastifyInstance, FastifyRequest, preValidationAsyncHookHandler, preValidationHookHandler } from 'fastify';
import type { Problem } from './problem.js';
import { unknownProperty } from './errors.js';

/**
 * JSON bodies are strict: a property the route's schema does not know is answered 400
 * `unknown-property` naming it (`未知的字段：body.verifedOn`), and nothing is done. Fastify's
 * validator, as configured by default, keeps or silently drops such a property, and a client that
 * misspells a field or sends one whose meaning moved would read the 200 as "accepted".
 *
 * Done once for every route (registerStrictBodies, an onRoute hook): the body schema is closed —
 * `additionalProperties: false` on every object that lists fixed properties and says nothing of
 * others — so the validator (with removeAdditional off, src/app.ts) refuses rather than strips, and
 * the OpenAPI document shows the rule. Open schemas stay open: a Type.Record (patternProperties), an
 * explicit `additionalProperties` (true or a schema: GeoJSON properties, free attributes). A hook then
 * names the first unknown property before the validator runs, so the answer names it even where a
 * required property is missing too (the validator reports `required` first, and one error only).
 */

type Schema = Record<string, unknown>;

/** A JSON object (a schema, or an object in a body). */
const isSchema = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

/** An object of fixed properties, closed or closable: its unknown properties are refused. */
const isFixedObject = (s: Schema): boolean => isSchema(s.properties) && !('patternProperties' in s) && (!('additionalProperties' in s) || s.additionalProperties === false);

const mapValues = (o: Schema, f: (v: unknown) => unknown): Schema => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/**
 * `allOf` of objects (Type.Intersect): closing each member would refuse the others' properties, so
 * the members are merged into one closed object (a property in several members: all of its schemas).
 * Not done for a member that is open (the whole is open then) or that is no plain object (what it
 * allows cannot be told): the latter is refused at start-up, so that no body is silently lax.
 */
function mergeAllOf(s: Schema, members: Schema[], where: string): Schema {
  const isPlain = (m: Schema) => isFixedObject(m) && Object.keys(m).every((k) => ['type', 'properties', 'required', 'additionalProperties', 'description', 'title', '~kind'].includes(k));
  if (members.every(isPlain)) {
    const properties: Record<string, Schema[]> = {};
    for (const m of members) for (const [k, v] of Object.entries(m.properties as Schema)) (properties[k] ??= []).push(v as Schema);
    const required = [...new Set(members.flatMap((m) => (m.required as string[] | undefined) ?? []))];
    const { allOf: _members, ...rest } = s;
    const merged = { ...rest, type: 'object', properties: mapValues(properties, (v) => ((v as Schema[]).length === 1 ? (v as Schema[])[0] : { allOf: v })), ...(required.length ? { required } : {}) };
    return close(merged, where) as Schema;
  }
  const open = members.some((m) => 'patternProperties' in m || (m.additionalProperties !== undefined && m.additionalProperties !== false));
  if (!open) throw new Error(`${where}: a body combining schemas with allOf must be one Type.Object (or say additionalProperties) for its unknown properties to be refused`);
  // Open as a whole: only the members' own nested objects are closed.
  const inside = (m: Schema) => {
    const c = close(m, where) as Schema;
    if (!('additionalProperties' in m)) delete c.additionalProperties;
    return c;
  };
  return { ...s, allOf: members.map(inside) };
}

/** A copy of `schema` with every object of fixed properties closed (the module comment); `where` names the route in a start-up error. */
export function closeBodySchema<T>(schema: T, where = 'body'): T {
  return close(schema, where) as T;
}

function close(s: unknown, where: string): unknown {
  if (Array.isArray(s)) return s.map((v) => close(v, where));
  if (!isSchema(s)) return s;
  if (Array.isArray(s.allOf) && s.allOf.every(isSchema) && s.allOf.some((m) => isSchema(m.properties) || 'patternProperties' in m)) return mergeAllOf(s, s.allOf, where);
  const out: Schema = { ...s };
  if (isSchema(s.properties)) {
    out.properties = mapValues(s.properties, (v) => close(v, where));
    if (isFixedObject(s)) out.additionalProperties = false;
  }
  if (isSchema(s.additionalProperties)) out.additionalProperties = close(s.additionalProperties, where);
  if (isSchema(s.patternProperties)) out.patternProperties = mapValues(s.patternProperties, (v) => close(v, where));
  // Not `not`, `if`: closing there would change what they mean.
  for (const k of ['items', 'prefixItems', 'anyOf', 'oneOf', 'allOf']) if (k in s) out[k] = close(s[k], where);
  return out;
}

/** The JSON type of a value as a schema's `type` names it. */
function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

const admits = (s: Schema, type: string): boolean => {
  if (s.type === undefined) return true;
  const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
  return types.includes(type) || (type === 'number' && types.includes('integer'));
};

/**
 * The path of the first property of `value` that the closed `schema` does not know, where the
 * schema says so without doubt: a union is followed only into its one branch of the value's type
 * (two object branches: the validator decides, and its answer names the property too).
 */
export function firstUnknownProperty(value: unknown, schema: unknown, path: string): { path: string; property: string } | undefined {
  if (!isSchema(schema)) return undefined;
  for (const k of ['anyOf', 'oneOf'] as const) {
    const branches = schema[k];
    if (!Array.isArray(branches)) continue;
    const fit = branches.filter((b) => isSchema(b) && admits(b, jsonType(value)));
    if (fit.length === 1) {
      const found = firstUnknownProperty(value, fit[0], path);
      if (found) return found;
    }
  }
  if (Array.isArray(schema.allOf)) {
    for (const m of schema.allOf) {
      const found = firstUnknownProperty(value, m, path);
      if (found) return found;
    }
  }
  if (Array.isArray(value)) {
    if (!isSchema(schema.items)) return undefined;
    for (let i = 0; i < value.length; i++) {
      const found = firstUnknownProperty(value[i], schema.items, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (!isSchema(value)) return undefined;
  const properties = isSchema(schema.properties) ? schema.properties : {};
  for (const [k, v] of Object.entries(value)) {
    const at = `${path}.${k}`;
    if (Object.hasOwn(properties, k)) {
      const found = firstUnknownProperty(v, properties[k], at);
      if (found) return found;
      continue;
    }
    const patterns = isSchema(schema.patternProperties) ? Object.entries(schema.patternProperties).filter(([p]) => new RegExp(p, 'u').test(k)) : [];
    for (const [, sub] of patterns) {
      const found = firstUnknownProperty(v, sub, at);
      if (found) return found;
    }
    if (patterns.length) continue;
    if (schema.additionalProperties === false && isSchema(schema.properties)) return { path: at, property: k };
    if (isSchema(schema.additionalProperties)) {
      const found = firstUnknownProperty(v, schema.additionalProperties, at);
      if (found) return found;
    }
  }
  return undefined;
}

/** The hook every JSON body gets: names the first unknown property (the validator would refuse it too, without naming it first). */
function refuseUnknown(schema: unknown): preValidationAsyncHookHandler {
  return async (req) => {
    const found = firstUnknownProperty(req.body, schema, 'body');
    if (found) throw unknownProperty(found.path, found.property);
  };
}

/**
 * Makes every route's JSON body strict (the module comment). Registered before the routes and
 * before the OpenAPI plugin, which then documents the closed schemas. Multipart routes (their own
 * validatorCompiler: the form is read as a stream and checked by http/multipart-upload.ts) are left
 * as they are. The route's own preValidation hooks run first: a property refused with a message of
 * its own (refuseNamedProperties) is answered that way.
 */
export function registerStrictBodies(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const body = route.schema?.body;
    if (body === undefined || route.validatorCompiler) return;
    const closed = closeBodySchema(body, `${route.method.toString()} ${route.url}`);
    route.schema = { ...route.schema, body: closed };
    const own: preValidationHookHandler[] = route.preValidation === undefined ? [] : Array.isArray(route.preValidation) ? route.preValidation : [route.preValidation];
    route.preValidation = [...own, refuseUnknown(closed)];
  });
}

/**
 * A preValidation hook for properties refused with a problem of their own (a threshold or a sampling
 * seed a client might try to set; a field whose meaning moved), so the answer says why rather than
 * only "unknown property". Asked for the keys of the body and of its `nested` objects.
 */
export function refuseNamedProperties(refused: (key: string) => Problem | undefined, nested: readonly string[] = []) {
  return async (req: FastifyRequest): Promise<void> => {
    const body = req.body;
    if (!isSchema(body)) return; // the schema answers that
    const objects = [body, ...nested.map((k) => body[k]).filter(isSchema)];
    for (const o of objects) {
      for (const k of Object.keys(o)) {
        const p = refused(k);
        if (p) throw p;
      }
    }
  };
}

/** A preValidation hook for routes whose body is optional: a POST without one is validated as `{}`. */
export async function emptyBodyAsObject(req: FastifyRequest): Promise<void> {
  if (req.body === undefined || req.body === null) (req as { body: unknown }).body = {};
}
