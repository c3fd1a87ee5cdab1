import { Type, type TNumberOptions, type TSchema, type TString, type TStringOptions } from '@fastify/type-provider-typebox';

/**
 * Shared HTTP vocabulary: every route names an id, a county or a year the same way, so a value the
 * database would refuse (a malformed uuid, a year outside int4, NUL in text) is a 400 at the door
 * rather than a 500 from PostgreSQL.
 */

/** Canonical 8-4-4-4-12 hex: exactly what PostgreSQL's uuid type reads (nil uuid included: it is simply not found). */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const isUuid = (v: string): boolean => new RegExp(UUID_PATTERN).test(v);

export const Uuid = (opts: TStringOptions = {}) => Type.String({ pattern: UUID_PATTERN, description: '编号（UUID）', ...opts });
/** `:id` path parameter. */
export const IdParams = Type.Object({ id: Uuid() });

export const CountyCode = (opts: TStringOptions = {}) => Type.String({ pattern: '^\\d{6}$', description: '县级行政区代码，如361123', ...opts });
export const TownshipCode = (opts: TStringOptions = {}) => Type.String({ pattern: '^\\d{9}$', description: '乡镇代码（9位）', ...opts });

/** A survey, reserve or quota year. */
export const Year = (opts: TNumberOptions = {}) => Type.Integer({ minimum: 1990, maximum: 2100, ...opts });

/** `:county` path parameter. */
export const CountyParams = Type.Object({ county: CountyCode() });
/** `:county/:year`; a report's year starts with the pilot's first reserve year (`{ minimum: 2019 }`). */
export const CountyYearParams = (yearOpts: TNumberOptions = {}) => Type.Object({ county: CountyCode(), year: Year(yearOpts) });

/** An integer that fits PostgreSQL int4 (offsets, fids). */
export const Int32 = (opts: TNumberOptions = {}) => Type.Integer({ minimum: -2147483648, maximum: 2147483647, ...opts });
/** An integer JavaScript holds exactly and PostgreSQL bigint accepts (event ids). */
export const SafeInteger = (opts: TNumberOptions = {}) => Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, ...opts });

/** A calendar date YYYY-MM-DD (format 'date' refuses 2023-02-30, which PostgreSQL would answer with an error). */
export const IsoDate = (description: string) => Type.String({ pattern: '^(19|20)\\d{2}-\\d{2}-\\d{2}$', format: 'date', description });

/** A date in an answer (YYYY-MM-DD). */
export const DateText = Type.String({ format: 'date' });

/**
 * A report as it was submitted upward: the date, its due date, whether it was late, and the frozen
 * snapshot. `codeField` names who submitted it (a county's `countyCode`, a city's `cityCode`).
 */
export const SubmittedReport = <K extends string, T extends TSchema>(codeField: K, snapshot: T) =>
  Type.Object({
    id: Type.String({ format: 'uuid' }),
    ...({ [codeField]: Type.String() } as Record<K, TString>),
    year: Type.Integer(),
    submittedOn: DateText,
    dueOn: DateText,
    late: Type.Boolean(),
    snapshot,
  });

/** Deepest nesting accepted in a JSON body: no request of this API needs more than a handful. */
export const MAX_JSON_DEPTH = 32;

/** Every refusal: RFC 9457 problem+json (src/http/problem.ts); extensions (`errors`, `allowed`, …) vary by code. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: '中文说明' }),
    code: Type.String({ description: '稳定的英文错误代码' }),
    instance: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'RFC 9457 problem+json' },
);
