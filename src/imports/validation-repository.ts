import { allLandClasses } from '../domain/land-classes.js';
import { QSXZ } from '../domain/ownership.js';
import { ident } from '../db/pool.js';
import type { FieldRule, FieldSpec, LayerSpec } from '../layers/specs.js';
import type { StagingColumn } from '../gdal/staging-repository.js';


const NUMERIC_TYPES = new Set(['double precision', 'real', 'integer', 'bigint', 'smallint', 'numeric']);
const NUMERIC_RE = `'^\\s*[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d{1,2})?\\s*$'`;
// Anything at or above this would overflow the survey tables' numeric columns: refused, not cast.
const NUMERIC_LIMIT = '1e12';

export interface ValidationSql {
  /** SELECT … producing (fid, bsm, reasons jsonb) for features that break at least one rule. */
  rejectsSelect: string;
  /** The column list and matching SELECT expressions for the survey table insert. */
  insertColumns: string[];
  insertExpressions: string[];
  params: unknown[];
}

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Builds the set-based validation and mapping SQL for one staged layer. Rules come from the layer
 * spec; code lists come from the TypeScript domain modules (passed as parameters), so there is
 * one source of truth for what a valid DLBM or QSXZ is.
 */
export function buildValidationSql(
  spec: LayerSpec,
  stagingTable: string,
  columns: StagingColumn[],
  opts: { countyCode: string; repair: boolean },
): ValidationSql {
  const byUpper = new Map(columns.map((c) => [c.name.toUpperCase(), c]));
  // Parameters are numbered as they are first used: a layer whose rules never mention a code
  // list must not bind it (PostgreSQL refuses unused, untyped parameters).
  const params: unknown[] = [];
  const bound = new Map<string, string>();
  const param = (key: string, value: () => unknown, type: string): string => {
    let ref = bound.get(key);
    if (!ref) {
      params.push(value());
      ref = `$${params.length}::${type}`;
      bound.set(key, ref);
    }
    return ref;
  };
  const P = {
    get county() {
      return param('county', () => opts.countyCode, 'text');
    },
    get landClasses() {
      return param('landClasses', () => allLandClasses().map((c) => c.code), 'text[]');
    },
    get qsxz() {
      return param('qsxz', () => Object.keys(QSXZ), 'text[]');
    },
  };

  const fieldSpec = (name: string): FieldSpec => {
    const f = spec.fields.find((x) => x.name === name);
    if (!f) throw new Error(`rule on unknown field ${name}`);
    return f;
  };
  const raw = (name: string): string | undefined => {
    const c = byUpper.get(name.toUpperCase());
    return c ? `s.${ident(c.name)}` : undefined;
  };
  /** The value as trimmed text, NULL when absent or blank. */
  const text = (name: string): string => {
    const r = raw(name);
    return r ? `NULLIF(btrim(${r}::text), '')` : 'NULL::text';
  };
  const isNumericColumn = (name: string) => NUMERIC_TYPES.has(byUpper.get(name.toUpperCase())?.dataType ?? '');
  const numeric = (name: string): string => {
    const r = raw(name);
    if (!r) return 'NULL::numeric';
    if (isNumericColumn(name)) return `CASE WHEN abs(${r}) < ${NUMERIC_LIMIT} THEN ${r}::numeric END`;
    const t = text(name);
    return `CASE WHEN ${t} ~ ${NUMERIC_RE} AND abs(${t}::float8) < ${NUMERIC_LIMIT} THEN ${t}::numeric END`;
  };
  const notNumeric = (name: string): string => {
    const r = raw(name);
    if (!r) return 'false';
    if (isNumericColumn(name)) return `(${r} IS NOT NULL AND abs(${r}) >= ${NUMERIC_LIMIT})`;
    const t = text(name);
    return `(${t} IS NOT NULL AND (${t} !~ ${NUMERIC_RE} OR abs(${t}::float8) >= ${NUMERIC_LIMIT}))`;
  };

  // Each check is a condition plus the reason object built from it; the conditions are OR-ed into a
  // cheap filter so reason objects are only built for the few features that fail.
  const conditions: string[] = [];
  const reason = (cond: string, code: string, field: string | null, messageSql: string, valueSql = 'NULL'): string => {
    conditions.push(`(${cond})`);
    return `CASE WHEN ${cond} THEN jsonb_build_object('code', ${sqlText(code)}, 'field', ${field ? sqlText(field) : 'NULL'}, 'value', ${valueSql}, 'message', ${messageSql}) END`;
  };

  const ruleSql = (rule: FieldRule): string[] => {
    const f = fieldSpec(rule.field);
    const v = text(rule.field);
    const label = `${f.label}${f.name}`;
    switch (rule.kind) {
      case 'required':
        return [reason(`${v} IS NULL`, 'field-missing', f.name, sqlText(`缺少${label}`))];
      case 'land-class':
        return [
          reason(
            `${v} IS NOT NULL AND NOT (upper(${v}) = ANY(${P.landClasses}))`,
            'land-class-unknown',
            f.name,
            `format('地类编码“%s”不在三调工作分类中', ${v})`,
            v,
          ),
        ];
      case 'unit-code-19':
        return [
          reason(`${v} IS NULL`, 'field-missing', f.name, sqlText(`缺少${label}`)),
          reason(`${v} !~ '^\\d{19}$'`, 'unit-code-format', f.name, `format('${label}“%s”应为19位数字（实为%s位）', ${v}, length(${v}))`, v),
          reason(
            `${v} ~ '^\\d{19}$' AND left(${v}, 6) <> ${P.county}`,
            'unit-code-county',
            f.name,
            `format('${label}“%s”前6位与导入的县级代码%s不一致', ${v}, ${P.county})`,
            v,
          ),
        ];
      case 'ownership-nature':
        return [
          reason(
            `${v} IS NULL OR NOT (${v} = ANY(${P.qsxz}))`,
            'ownership-nature-unknown',
            f.name,
            `format('权属性质“%s”不在代码表中（10、20、30、31、32、33、34、40）', coalesce(${v}, '空'))`,
            v,
          ),
        ];
      case 'county-prefix':
        return [
          reason(
            `${v} IS NOT NULL AND NOT (${v} ~ '^\\d+$' AND length(${v}) IN (${rule.lengths.join(', ')}) AND left(${v}, 6) = ${P.county})`,
            'admin-code-county',
            f.name,
            `format('${label}“%s”不是本县（%s）的${rule.lengths.join('/')}位行政区代码', ${v}, ${P.county})`,
            v,
          ),
        ];
      case 'county-equals':
        return [
          reason(
            `${v} IS DISTINCT FROM ${P.county}`,
            'county-mismatch',
            f.name,
            `format('${label}“%s”与导入的县级代码%s不一致', coalesce(${v}, '空'), ${P.county})`,
            v,
          ),
        ];
    }
  };

  const numericReasons = spec.fields
    .filter((f) => f.type !== 'text' && raw(f.name))
    .map((f) =>
      reason(notNumeric(f.name), 'field-not-numeric', f.name, `format('${f.label}${f.name}“%s”不是有效数值', ${text(f.name)})`, text(f.name)),
    );

  const polygonal = `GeometryType(s.geom) IN ('POLYGON', 'MULTIPOLYGON')`;
  const geometryReasons = [
    reason('s.geom IS NULL OR ST_IsEmpty(s.geom)', 'geometry-empty', null, sqlText('几何为空')),
    reason(
      `s.geom IS NOT NULL AND NOT ST_IsEmpty(s.geom) AND NOT ${polygonal}`,
      'geometry-not-polygon',
      null,
      `format('几何类型为%s，应为面', GeometryType(s.geom))`,
    ),
    // Invalid polygons are rejected unless the user asked for repair (then handled separately).
    ...(opts.repair
      ? []
      : [
          reason(
            `${polygonal} AND NOT ST_IsEmpty(s.geom) AND NOT ST_IsValid(s.geom)`,
            'geometry-invalid',
            null,
            `format('几何无效：%s', ST_IsValidReason(s.geom))`,
            `to_jsonb(ST_AsText(ST_SnapToGrid((ST_IsValidDetail(s.geom)).location, 0.001)))`,
          ),
        ]),
  ];

  const reasons = [...geometryReasons, ...spec.rules.flatMap(ruleSql), ...numericReasons];
  const idExpr = text(spec.idField);
  // "IS TRUE" so a condition that is NULL (absent field) never counts as a failure.
  const rejectsSelect = `SELECT s.ogc_fid AS fid, ${idExpr} AS bsm,
         to_jsonb(array_remove(ARRAY[${reasons.join(',\n           ')}]::jsonb[], NULL)) AS reasons
    FROM staging.${ident(stagingTable)} s
   WHERE ${conditions.map((c) => `${c} IS TRUE`).join('\n      OR ')}`;

  // Mapping: standard fields to typed columns, every other attribute into extra.
  const insertColumns: string[] = [];
  const insertExpressions: string[] = [];
  for (const f of spec.fields) {
    insertColumns.push(f.column);
    insertExpressions.push(
      f.type === 'text' ? text(f.name) : f.type === 'integer' ? `round(${numeric(f.name)})::integer` : numeric(f.name),
    );
  }
  for (const d of spec.derived ?? []) {
    insertColumns.push(d.column);
    insertExpressions.push(d.sql(text(d.fromField)));
  }
  const standard = new Set(spec.fields.map((f) => f.name));
  const extras = columns.filter((c) => !standard.has(c.name.toUpperCase()) && c.name !== 'ogc_fid' && c.name !== 'geom');
  const chunks: string[] = [];
  for (let i = 0; i < extras.length; i += 50) {
    const pairs = extras.slice(i, i + 50).map((c) => `${sqlText(c.name)}, s.${ident(c.name)}`);
    chunks.push(`jsonb_build_object(${pairs.join(', ')})`);
  }
  insertColumns.push('extra');
  insertExpressions.push(chunks.length ? `NULLIF(jsonb_strip_nulls(${chunks.join(' || ')}), '{}'::jsonb)` : 'NULL');
  return { rejectsSelect, insertColumns, insertExpressions, params };
}
