/**
 * 三调 land classification (第三次全国国土调查工作分类, based on GB/T 21010-2017).
 * DLBM is the base code, optionally followed by a one-letter suffix:
 *   K — 可调整地类 (cropland converted to orchard/forest/ponds, still counted as adjustable),
 *   A — sub-classes the survey added (养殖坑塘 1104A, 干渠 1107A, 广场 0810A, 高教 08H2A).
 */
export interface LandClass {
  code: string;
  name: string;
  /** First-level class (一级类) name. */
  group: string;
}

const BASE: ReadonlyArray<[code: string, name: string, group: string]> = [
  ['0101', '水田', '耕地'],
  ['0102', '水浇地', '耕地'],
  ['0103', '旱地', '耕地'],
  ['0201', '果园', '种植园用地'],
  ['0202', '茶园', '种植园用地'],
  ['0203', '橡胶园', '种植园用地'],
  ['0204', '其他园地', '种植园用地'],
  ['0301', '乔木林地', '林地'],
  ['0302', '竹林地', '林地'],
  ['0303', '红树林地', '湿地'],
  ['0304', '森林沼泽', '湿地'],
  ['0305', '灌木林地', '林地'],
  ['0306', '灌丛沼泽', '湿地'],
  ['0307', '其他林地', '林地'],
  ['0401', '天然牧草地', '草地'],
  ['0402', '沼泽草地', '湿地'],
  ['0403', '人工牧草地', '草地'],
  ['0404', '其他草地', '草地'],
  ['05H1', '商业服务业设施用地', '商业服务业用地'],
  ['0508', '物流仓储用地', '商业服务业用地'],
  ['0601', '工业用地', '工矿用地'],
  ['0602', '采矿用地', '工矿用地'],
  ['0603', '盐田', '湿地'],
  ['0701', '城镇住宅用地', '住宅用地'],
  ['0702', '农村宅基地', '住宅用地'],
  ['08H1', '机关团体新闻出版用地', '公共管理与公共服务用地'],
  ['08H2', '科教文卫用地', '公共管理与公共服务用地'],
  ['0809', '公用设施用地', '公共管理与公共服务用地'],
  ['0810', '公园与绿地', '公共管理与公共服务用地'],
  ['09', '特殊用地', '特殊用地'],
  ['1001', '铁路用地', '交通运输用地'],
  ['1002', '轨道交通用地', '交通运输用地'],
  ['1003', '公路用地', '交通运输用地'],
  ['1004', '城镇村道路用地', '交通运输用地'],
  ['1005', '交通服务场站用地', '交通运输用地'],
  ['1006', '农村道路', '交通运输用地'],
  ['1007', '机场用地', '交通运输用地'],
  ['1008', '港口码头用地', '交通运输用地'],
  ['1009', '管道运输用地', '交通运输用地'],
  ['1101', '河流水面', '水域及水利设施用地'],
  ['1102', '湖泊水面', '水域及水利设施用地'],
  ['1103', '水库水面', '水域及水利设施用地'],
  ['1104', '坑塘水面', '水域及水利设施用地'],
  ['1105', '沿海滩涂', '湿地'],
  ['1106', '内陆滩涂', '湿地'],
  ['1107', '沟渠', '水域及水利设施用地'],
  ['1108', '沼泽地', '湿地'],
  ['1109', '水工建筑用地', '水域及水利设施用地'],
  ['1110', '冰川及永久积雪', '水域及水利设施用地'],
  ['1201', '空闲地', '其他土地'],
  ['1202', '设施农用地', '其他土地'],
  ['1203', '田坎', '其他土地'],
  ['1204', '盐碱地', '其他土地'],
  ['1205', '沙地', '其他土地'],
  ['1206', '裸土地', '其他土地'],
  ['1207', '裸岩石砾地', '其他土地'],
  // 城镇村及工矿用地 aggregate codes still found in DLBM of older deliveries.
  ['201', '城市', '城镇村及工矿用地'],
  ['202', '建制镇', '城镇村及工矿用地'],
  ['203', '村庄', '城镇村及工矿用地'],
  ['204', '盐田及采矿用地', '城镇村及工矿用地'],
  ['205', '特殊用地', '城镇村及工矿用地'],
];

/** Suffixed codes the survey defines, with their names. */
const SUFFIXED: ReadonlyArray<[code: string, name: string]> = [
  ['0201K', '可调整果园'],
  ['0202K', '可调整茶园'],
  ['0203K', '可调整橡胶园'],
  ['0204K', '可调整其他园地'],
  ['0301K', '可调整乔木林地'],
  ['0302K', '可调整竹林地'],
  ['0307K', '可调整其他林地'],
  ['0403K', '可调整人工牧草地'],
  ['1104K', '可调整养殖坑塘'],
  ['1104A', '养殖坑塘'],
  ['1107A', '干渠'],
  ['0810A', '广场用地'],
  ['08H2A', '高教用地'],
  ['201A', '城市独立工业用地'],
  ['202A', '建制镇独立工业用地'],
  ['203A', '村庄独立工业用地'],
];

const TABLE: ReadonlyMap<string, LandClass> = new Map([
  ...BASE.map(([code, name, group]) => [code, { code, name, group }] as const),
  ...SUFFIXED.map(([code, name]) => {
    const base = BASE.find(([c]) => c === code.slice(0, -1));
    return [code, { code, name, group: base?.[2] ?? '' }] as const;
  }),
]);

/** The land class for a DLBM, or undefined when the code is not in the 三调 classification. */
export function landClass(dlbm: string): LandClass | undefined {
  return TABLE.get(dlbm.trim().toUpperCase());
}

export function isLandClassCode(dlbm: string): boolean {
  return TABLE.has(dlbm.trim().toUpperCase());
}

/** The mining-land class that supplementary forest land must come from. */
export const MINING_LAND = '0602';

/**
 * The DLBM codes counted as forest land for the offset balance (DOMAIN.md §5): 0301–0307 and their
 * K (可调整) variants. One list, so SQL binds it (`= ANY($n)`) rather than restating the rule.
 */
export const FOREST_LAND_CODES: readonly string[] = ['0301', '0302', '0303', '0304', '0305', '0306', '0307'].flatMap((c) => [c, `${c}K`]);

export function isForestLand(dlbm: string): boolean {
  return FOREST_LAND_CODES.includes(dlbm.trim().toUpperCase());
}

export function allLandClasses(): LandClass[] {
  return [...TABLE.values()];
}

/**
 * Whether a forest one-map 小班 is forest land. The one-map carries 三调 codes since 2021, older
 * code lists or Chinese labels before: a 三调 code decides by itself, a label saying 非林地 is not
 * forest, and anything else on the forest-land map is taken as forest land.
 */
export function isForestXiaoban(diLei: string | null | undefined): boolean {
  const v = (diLei ?? '').trim();
  if (!v) return true;
  if (/非林/.test(v)) return false;
  if (landClass(v)) return isForestLand(v);
  return true;
}
