/**
 * Map styling: the county's own layers are the base map (nothing from the internet unless
 * ZHANBU_BASEMAP_URL names a tile service). DLTB polygons take the colour of their 三调 first-level
 * class; 0602 采矿用地 is drawn on top in a strong colour with a thick outline.
 */
import type { ExpressionSpecification, StyleSpecification } from 'maplibre-gl';

/**
 * Colours by 三调 first-level class (the first two characters of DLBM), close to the survey's map
 * symbols (TD/T 1055-2019 图式): cropland yellow, garden orange-pink, forest green, grass light green,
 * water blue, construction reds and greys. Approximate: the standard's exact RGB table is not in this repository.
 */
export const LAND_GROUP_COLOURS: [prefix: string, label: string, colour: string][] = [
  ['01', '耕地', '#f5e67a'],
  ['02', '种植园用地', '#f3b87a'],
  ['03', '林地', '#3a9b5c'],
  ['04', '草地', '#9fd16e'],
  ['05', '商业服务业用地', '#e8787a'],
  ['06', '工矿用地', '#b59a8a'],
  ['07', '住宅用地', '#f09a6a'],
  ['08', '公共管理与公共服务用地', '#e2a0c8'],
  ['09', '特殊用地', '#a57fb8'],
  ['10', '交通运输用地', '#b4b4b4'],
  ['11', '水域及水利设施用地', '#8fcbea'],
  ['12', '其他土地', '#d9cfb8'],
];
export const MINING_COLOUR = '#c2185b';

const dlbm: ExpressionSpecification = ['to-string', ['coalesce', ['get', 'DLBM'], ['get', 'dlbm'], '']];

export const landClassFill: ExpressionSpecification = [
  'match',
  ['slice', dlbm, 0, 2],
  ...LAND_GROUP_COLOURS.flatMap(([prefix, , colour]) => [prefix, colour]),
  '#dddddd',
] as unknown as ExpressionSpecification;

export const isMining: ExpressionSpecification = ['==', ['slice', dlbm, 0, 4], '0602'];

/** The empty style every map starts from: a plain background, and the optional configured base layer. */
export function baseStyle(basemapUrl: string | null): StyleSpecification {
  return {
    version: 8,
    // Chinese labels are drawn from the local CJK font (localIdeographFontFamily); no glyph server is needed for them.
    glyphs: '/glyphs/{fontstack}/{range}.pbf',
    sources: basemapUrl ? { basemap: { type: 'raster', tiles: [basemapUrl], tileSize: 256 } } : {},
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } },
      ...(basemapUrl ? [{ id: 'basemap', type: 'raster' as const, source: 'basemap' }] : []),
    ],
  };
}

/** Chinese labels of the attribute fields the layers carry (三调 and one-map names, and the service's own). */
export const FIELD_LABELS: Record<string, string> = {
  BSM: '标识码',
  YSDM: '要素代码',
  TBYBH: '图斑预编号',
  TBBH: '图斑编号',
  DLBM: '地类编码',
  DLMC: '地类名称',
  QSXZ: '权属性质',
  QSDWDM: '权属单位代码',
  QSDWMC: '权属单位名称',
  ZLDWDM: '坐落单位代码',
  ZLDWMC: '坐落单位名称',
  TBMJ: '图斑面积（平方米）',
  KCDLBM: '扣除地类编码',
  KCXS: '扣除系数',
  KCMJ: '扣除面积（平方米）',
  TBDLMJ: '图斑地类面积（平方米）',
  GDLX: '耕地类型',
  GDPDJB: '耕地坡度级别',
  CZCSXM: '城镇村属性码',
  SJNF: '数据年份',
  BZ: '备注',
  XZQDM: '行政区代码',
  XZQMC: '行政区名称',
  SHENG: '省',
  XIAN: '县',
  XIANG: '乡',
  CUN: '村',
  LIN_BAN: '林班',
  XIAO_BAN: '小班',
  DI_LEI: '地类',
  LD_QS: '林地权属',
  SEN_LIN_LB: '森林类别',
  BH_DJ: '保护等级',
  MIAN_JI: '面积',
  KXFMJ: '可修复面积（平方米）',
  KXFMJ_MU: '可修复面积（亩）',
  KXFMJ_HA: '可修复面积（公顷）',
  BFFG: '已被候选或储备地块部分覆盖',
  DKBH: '地块编号',
  statusLabel: '检查结论',
  areaM2: '面积（平方米）',
  areaMu: '面积（亩）',
  checkLabel: '检查项',
  message: '说明',
};

export const QSXZ_LABELS: Record<string, string> = {
  '10': '国有土地所有权',
  '20': '国有土地使用权',
  '30': '集体土地所有权',
  '31': '村民小组',
  '32': '村集体经济组织',
  '33': '乡集体经济组织',
  '34': '其他农民集体经济组织',
  '40': '集体土地使用权',
};

/** Attribute rows for a clicked feature: Chinese label, value (codes explained where a code list is known). */
export function attributeRows(props: Record<string, unknown>): { label: string; value: string }[] {
  return Object.entries(props)
    .filter(([k, v]) => v !== null && v !== undefined && v !== '' && !['kind', 'parcelId', 'runId', 'failed', 'status', 'check', 'fid', 'layer'].includes(k))
    .map(([k, v]) => {
      const key = k.toUpperCase() in FIELD_LABELS ? k.toUpperCase() : k;
      let value = typeof v === 'boolean' ? (v ? '是' : '否') : typeof v === 'number' ? new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 4 }).format(v) : String(v);
      if (key === 'QSXZ' && QSXZ_LABELS[value]) value = `${value}（${QSXZ_LABELS[value]}）`;
      return { label: FIELD_LABELS[key] ?? k, value };
    });
}
