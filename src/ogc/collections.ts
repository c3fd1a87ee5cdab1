/**
 * What the OGC API publishes: one collection per layer and county (and survey year for the survey
 * layers), with stable readable ids (`dltb-361123-2023`), Chinese titles, and the properties each
 * feature carries under the names the data already uses (三调 / one-map field names for the survey
 * layers, the API's own names for the procedure's layers). Pure: the SQL is in repository.ts.
 */
import { DLTB, LDXB, XZQ, type FieldSpec } from '../layers/specs.js';

export type CollectionKind = 'dltb' | 'xzq' | 'xiaoban' | 'restorable' | 'candidates' | 'procedure' | 'reserve';
export const SURVEY_KINDS = ['dltb', 'xzq', 'xiaoban'] as const;
export const COUNTY_KINDS = ['restorable', 'candidates', 'procedure', 'reserve'] as const;

export interface CollectionRef {
  kind: CollectionKind;
  county: string;
  /** Survey year (dltb, xzq, xiaoban only). */
  year?: number;
}

export interface PropertyDef {
  name: string;
  type: 'string' | 'number' | 'integer' | 'boolean';
  title: string;
  /** Filterable with `name=value` on items (equality). */
  filter: boolean;
  /** Carried in vector tiles (what a map needs: ids, land class, area, status). */
  tile: boolean;
  /** Added by the view after the row is read (areas in 亩/公顷, Chinese labels): neither filtered nor in tiles. */
  derived?: boolean;
}

const TILE_FIELDS: Record<CollectionKind, readonly string[]> = {
  dltb: ['BSM', 'DLBM', 'DLMC', 'TBMJ', 'ZLDWDM'],
  xzq: ['BSM', 'XZQDM', 'XZQMC'],
  xiaoban: ['LIN_BAN', 'XIAO_BAN', 'DI_LEI', 'MIAN_JI'],
  restorable: ['BSM', 'DLBM', 'DLMC', 'TBMJ', 'BFFG'],
  candidates: ['id', 'parcelNo', 'status', 'areaM2'],
  procedure: ['id', 'parcelNo', 'state', 'areaM2'],
  reserve: ['id', 'parcelNo', 'state', 'reserveYear', 'areaM2'],
};

const fromSpec = (kind: CollectionKind, fields: FieldSpec[]): PropertyDef[] =>
  fields.map((f) => ({
    name: f.name,
    type: f.type === 'text' ? 'string' : f.type === 'integer' ? 'integer' : 'number',
    title: f.label,
    filter: true,
    tile: TILE_FIELDS[kind].includes(f.name),
  }));

const p = (kind: CollectionKind, name: string, type: PropertyDef['type'], title: string, derived = false): PropertyDef => ({
  name,
  type,
  title,
  filter: !derived,
  tile: !derived && TILE_FIELDS[kind].includes(name),
  ...(derived ? { derived } : {}),
});

/** The identity every parcel collection starts with. */
const parcelIdentity = (kind: CollectionKind, idTitle: string): PropertyDef[] => [
  p(kind, 'id', 'string', idTitle),
  p(kind, 'parcelNo', 'string', '地块编号（DKBH）'),
  p(kind, 'townshipCode', 'string', '乡镇代码'),
];

/** The area of record in m² with its 亩 and 公顷 (derived from the m² unless stored beside it). */
const areaOfRecord = (kind: CollectionKind, label: string, note: string, unitsDerived: boolean): PropertyDef[] => [
  p(kind, 'areaM2', 'number', `${label}（平方米，椭球面积${note ? '，' + note : ''}）`),
  p(kind, 'areaMu', 'number', `${label}（亩）`, unitsDerived),
  p(kind, 'areaHa', 'number', `${label}（公顷）`, unitsDerived),
];

const RESTORABLE_BASE = ['BSM', 'DLBM', 'DLMC', 'QSXZ', 'QSDWDM', 'QSDWMC', 'ZLDWDM', 'ZLDWMC', 'CZCSXM', 'TBMJ'];

export const PROPERTIES: Readonly<Record<CollectionKind, readonly PropertyDef[]>> = {
  dltb: fromSpec('dltb', DLTB.fields),
  xzq: fromSpec('xzq', XZQ.fields),
  xiaoban: fromSpec('xiaoban', LDXB.fields),
  restorable: [
    ...fromSpec('restorable', DLTB.fields.filter((f) => RESTORABLE_BASE.includes(f.name))),
    p('restorable', 'BFFG', 'boolean', '是否已被候选或储备地块部分覆盖'),
    p('restorable', 'KXFMJ', 'number', '可修复面积（平方米，椭球面积）', true),
    p('restorable', 'KXFMJ_MU', 'number', '可修复面积（亩）', true),
    p('restorable', 'KXFMJ_HA', 'number', '可修复面积（公顷）', true),
  ],
  candidates: [
    ...parcelIdentity('candidates', '地块编号（系统）'),
    p('candidates', 'applicant', 'string', '申请单位'),
    p('candidates', 'uploadId', 'string', '上传批次'),
    p('candidates', 'status', 'string', '最近一次检查的总体结论（pass/warn/fail/not-run/unchecked）'),
    p('candidates', 'statusLabel', 'string', '检查结论', true),
    // 亩 and 公顷 as the area check stored them (the report's figures), not recomputed from areaM2.
    ...areaOfRecord('candidates', '面积', '最近一次检查', false),
  ],
  procedure: [
    ...parcelIdentity('procedure', '程序地块编号（系统）'),
    p('procedure', 'applicant', 'string', '申请单位'),
    p('procedure', 'state', 'string', '程序状态'),
    p('procedure', 'stateLabel', 'string', '程序状态（中文）', true),
    p('procedure', 'stateSince', 'string', '进入该状态的时间'),
    ...areaOfRecord('procedure', '核实面积', '', true),
  ],
  reserve: [
    ...parcelIdentity('reserve', '程序地块编号（系统）'),
    p('reserve', 'state', 'string', '储备状态'),
    p('reserve', 'stateLabel', 'string', '储备状态（中文）', true),
    p('reserve', 'reserveYear', 'integer', '入库年度'),
    p('reserve', 'reservedOn', 'string', '入库日期'),
    p('reserve', 'forestClass', 'string', '造林地类'),
    ...areaOfRecord('reserve', '面积', '', true),
  ],
};

const KIND_TITLES: Record<CollectionKind, string> = {
  dltb: '三调地类图斑',
  xzq: '行政区',
  xiaoban: '森林资源管理一张图小班',
  restorable: '可修复采矿用地',
  candidates: '拟补充林地候选地块',
  procedure: '补充林地调查确认程序地块',
  reserve: '补充林地储备库地块',
};

const KIND_DESCRIPTIONS: Record<CollectionKind, string> = {
  dltb: '第三次全国国土调查及年度变更调查地类图斑（DLTB），字段名与取值按入库原样。',
  xzq: '行政区界线（XZQ：县、乡镇、村）。',
  xiaoban: '森林资源管理“一张图”小班（LDXB）。',
  restorable:
    '最新导入调查年度的非林地图斑中，当年为0602采矿用地或此前任一次调查（三调、年度变更调查）为0602的部分，扣除候选或储备地块已覆盖部分后的剩余部分（与可修复采矿用地查询/api/v1/counties/{county}/restorable-mining-land的默认年度同一定义）；属性为该年度图斑的，BFFG表示已被候选或储备地块部分覆盖，KXFMJ为剩余部分的椭球面积。',
  candidates: '拟补充林地候选地块，带最近一次检查的总体结论与面积（椭球面积，平方米、亩、公顷）。',
  procedure: '进入调查确认程序的地块及其状态（申请至省级储备库，及撤回、否决、出库）。',
  reserve: '县级及省级储备库中的地块，带入库年度与面积。',
};

/** Which id a feature has: BSM for the survey layers (fid when a polygon has none), the system id otherwise. */
export const ID_LABEL: Record<CollectionKind, string> = {
  dltb: 'BSM', xzq: 'BSM', xiaoban: 'fid', restorable: 'BSM', candidates: 'id', procedure: 'id', reserve: 'id',
};

/** `dltb-361123-2023`, `reserve-361123`. */
export function collectionId(ref: CollectionRef): string {
  return ref.year === undefined ? `${ref.kind}-${ref.county}` : `${ref.kind}-${ref.county}-${ref.year}`;
}

/** The collection an id names, if it is well formed (whether it exists is the service's question). */
export function parseCollectionId(id: string): CollectionRef | undefined {
  const m = /^(dltb|xzq|xiaoban)-(\d{6})-(\d{4})$/.exec(id) ?? /^(restorable|candidates|procedure|reserve)-(\d{6})$/.exec(id);
  if (!m) return undefined;
  return { kind: m[1] as CollectionKind, county: m[2]!, ...(m[3] ? { year: Number(m[3]) } : {}) };
}

export function collectionTitle(ref: CollectionRef, countyName?: string): string {
  const where = countyName ? `${countyName}（${ref.county}）` : ref.county;
  return ref.year === undefined ? `${where}${KIND_TITLES[ref.kind]}` : `${where}${ref.year}年${KIND_TITLES[ref.kind]}`;
}

/** The description; restorable land's names the survey year it reads as now (its temporal extent). */
export function collectionDescription(ref: CollectionRef, year?: number | null): string {
  const d = KIND_DESCRIPTIONS[ref.kind];
  return ref.kind === 'restorable' && typeof year === 'number' ? d.replace('最新导入调查年度', `最新导入的调查年度（${year}年）`) : d;
}

/** The survey layer of import_job behind a survey collection. */
export const IMPORT_LAYER: Record<(typeof SURVEY_KINDS)[number], 'dltb' | 'xzq' | 'ldxb'> = { dltb: 'dltb', xzq: 'xzq', xiaoban: 'ldxb' };
