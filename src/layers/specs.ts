/**
 * What each survey layer holds: its standard fields (三调 / one-map names), their column types,
 * and the per-feature rules an import enforces. The SQL that applies these lives in the data layer.
 */
export type LayerKind = 'dltb' | 'ldxb' | 'xzq';
export const LAYER_KINDS: readonly LayerKind[] = ['dltb', 'ldxb', 'xzq'];

export type FieldType = 'text' | 'numeric' | 'integer';

export interface FieldSpec {
  /** Standard field name as survey files carry it (matched case-insensitively). */
  name: string;
  /** Column in the survey table. */
  column: string;
  type: FieldType;
  label: string;
}

/** A rule checked on every feature; `kind` says which check the data layer runs. */
export type FieldRule =
  | { kind: 'required'; field: string }
  | { kind: 'land-class'; field: string }
  | { kind: 'unit-code-19'; field: string }
  | { kind: 'ownership-nature'; field: string }
  | { kind: 'county-prefix'; field: string; lengths: number[] }
  | { kind: 'county-equals'; field: string };

export interface LayerSpec {
  kind: LayerKind;
  label: string;
  /** Layer names tried, in order, when a container (gdb, gpkg) holds several layers. */
  defaultLayerNames: string[];
  /** Field identifying a feature to people (shown with rejects). */
  idField: string;
  fields: FieldSpec[];
  rules: FieldRule[];
  /** Columns computed from a standard field's text value (e.g. XZQ level from the code's length). */
  derived?: { column: string; fromField: string; sql: (value: string) => string }[];
}

const t = (name: string, label: string): FieldSpec => ({ name, column: name.toLowerCase(), type: 'text', label });
const n = (name: string, label: string): FieldSpec => ({ name, column: name.toLowerCase(), type: 'numeric', label });
const i = (name: string, label: string): FieldSpec => ({ name, column: name.toLowerCase(), type: 'integer', label });

export const DLTB: LayerSpec = {
  kind: 'dltb',
  label: '地类图斑',
  defaultLayerNames: ['DLTB'],
  idField: 'BSM',
  fields: [
    t('BSM', '标识码'), t('YSDM', '要素代码'), t('TBYBH', '图斑预编号'), t('TBBH', '图斑编号'),
    t('DLBM', '地类编码'), t('DLMC', '地类名称'), t('QSXZ', '权属性质'), t('QSDWDM', '权属单位代码'),
    t('QSDWMC', '权属单位名称'), t('ZLDWDM', '坐落单位代码'), t('ZLDWMC', '坐落单位名称'), n('TBMJ', '图斑面积'),
    t('KCDLBM', '扣除地类编码'), n('KCXS', '扣除地类系数'), n('KCMJ', '扣除地类面积'), n('TBDLMJ', '图斑地类面积'),
    t('GDLX', '耕地类型'), t('GDPDJB', '耕地坡度级别'), n('XZDWKD', '线状地物宽度'), t('TBXHDM', '图斑细化代码'),
    t('TBXHMC', '图斑细化名称'), t('ZZSXDM', '种植属性代码'), t('ZZSXMC', '种植属性名称'), t('GDDB', '耕地等别'),
    t('FRDBS', '飞入地标识'), t('CZCSXM', '城镇村属性码'), i('SJNF', '数据年份'), t('MSSM', '描述说明'),
    t('HDMC', '海岛名称'), t('BZ', '备注'),
  ],
  rules: [
    { kind: 'required', field: 'DLBM' },
    { kind: 'land-class', field: 'DLBM' },
    { kind: 'unit-code-19', field: 'ZLDWDM' },
    { kind: 'unit-code-19', field: 'QSDWDM' },
    { kind: 'ownership-nature', field: 'QSXZ' },
  ],
};

export const LDXB: LayerSpec = {
  kind: 'ldxb',
  label: '森林资源管理一张图小班',
  defaultLayerNames: ['LDXB', 'XIAOBAN', 'XB', 'SLZY', 'LD'],
  idField: 'XIAO_BAN',
  fields: [
    t('SHENG', '省'), t('XIAN', '县'), t('XIANG', '乡'), t('CUN', '村'), t('LIN_BAN', '林班'),
    t('XIAO_BAN', '小班'), t('DI_LEI', '地类'), t('LD_QS', '林地权属'), t('SEN_LIN_LB', '森林类别'),
    t('BH_DJ', '保护等级'), n('MIAN_JI', '面积'),
  ],
  rules: [{ kind: 'county-equals', field: 'XIAN' }],
};

export const XZQ: LayerSpec = {
  kind: 'xzq',
  label: '行政区',
  defaultLayerNames: ['XZQ'],
  idField: 'XZQDM',
  fields: [
    t('BSM', '标识码'), t('YSDM', '要素代码'), t('XZQDM', '行政区代码'), t('XZQMC', '行政区名称'),
    n('DCMJ', '调查面积'), n('JSMJ', '计算面积'), t('MSSM', '描述说明'), t('HDMC', '海岛名称'), t('BZ', '备注'),
  ],
  rules: [
    { kind: 'required', field: 'XZQDM' },
    { kind: 'county-prefix', field: 'XZQDM', lengths: [6, 9, 12] },
  ],
  derived: [
    {
      column: 'level',
      fromField: 'XZQDM',
      sql: (v) => `CASE length(${v}) WHEN 6 THEN 'county' WHEN 9 THEN 'township' ELSE 'village' END`,
    },
  ],
};

export const LAYER_SPECS: Readonly<Record<LayerKind, LayerSpec>> = { dltb: DLTB, ldxb: LDXB, xzq: XZQ };

export function isLayerKind(s: string): s is LayerKind {
  return (LAYER_KINDS as readonly string[]).includes(s);
}
