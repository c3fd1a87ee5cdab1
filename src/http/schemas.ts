import { Type, type Static, type TNumberOptions, type TSchema, type TString, type TStringOptions } from '@fastify/type-provider-typebox';

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

/** A value or null (a nullable column, a figure not yet known). */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** A date in an answer (YYYY-MM-DD). */
export const DateText = Type.String({ format: 'date' });
/** A moment in an answer (ISO 8601 with time zone). */
export const Timestamp = Type.String({ format: 'date-time' });

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

/**
 * The coordinate system of an uploaded file as imports and candidate uploads record it (jsonb):
 * the CGCS2000 system (domain/crs CrsInfo) and how it was found (gdal/inspect SourceCrs). The
 * service always writes kind, label and how; only epsg is required, as a stored record may hold no more.
 */
export const SourceCrsView = Type.Object(
  {
    epsg: Type.Integer({ description: 'EPSG代码：4490 CGCS2000经纬度，4513–4554 CGCS2000 3度带高斯-克吕格' }),
    kind: Type.Optional(Type.Union([Type.Literal('geographic'), Type.Literal('gauss-kruger')], { description: 'geographic 经纬度；gauss-kruger 高斯-克吕格投影' })),
    label: Type.Optional(Type.String({ description: '坐标系名称' })),
    zone: Type.Optional(Type.Integer({ description: '3度带带号（25–45），仅高斯-克吕格' })),
    centralMeridian: Type.Optional(Type.Number({ description: '中央经线（°E），仅高斯-克吕格' })),
    zonePrefixed: Type.Optional(Type.Boolean({ description: '东坐标是否含带号，仅高斯-克吕格' })),
    falseEasting: Type.Optional(Type.Number({ description: '东偏移（米），仅高斯-克吕格' })),
    assumedFrom: Type.Optional(Type.Literal('wgs84', { description: '文件声明为WGS 84，按CGCS2000处理' })),
    how: Type.Optional(
      Type.Union([Type.Literal('declared-epsg'), Type.Literal('declared-definition'), Type.Literal('inferred-from-eastings')], {
        description: 'declared-epsg 文件声明EPSG代码；declared-definition 由文件的坐标系定义识别；inferred-from-eastings 由含带号的东坐标推断',
      }),
    ),
    note: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: '判定说明（推断时）' })),
  },
  { description: '源坐标系及其判定方式' },
);
export type SourceCrsViewT = Static<typeof SourceCrsView>;

/** How the attribute encoding of an uploaded file was decided (gdal/source LocatedSource.encoding). */
export const SourceEncodingView = Type.Object(
  {
    encoding: Type.String({ description: '编码，如UTF-8、CP936' }),
    source: Type.Union([Type.Literal('parameter'), Type.Literal('cpg'), Type.Literal('ldid'), Type.Literal('detected'), Type.Literal('intrinsic')], {
      description: 'parameter 请求指定；cpg .cpg文件；ldid DBF语言标识；detected 按内容判定；intrinsic 格式本身为UTF-8',
    }),
    note: Type.Optional(Type.String()),
  },
  { description: '属性编码及其判定方式' },
);
export type SourceEncodingViewT = Static<typeof SourceEncodingView>;
