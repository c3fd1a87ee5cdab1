/**
 * Layer-level quality checks (质检) of an imported DLTB: the checks a survey database's own
 * inspection runs on a delivery, beyond the per-feature validation of an import. Each finding names
 * its rule; by default findings warn and do not refuse the import (README, "Quality checks").
 */

export type QualityRule =
  | 'tbmj-area'
  | 'tbmj-total'
  | 'kcmj'
  | 'tbdlmj'
  | 'overlap'
  | 'gap'
  | 'bsm-duplicate'
  | 'tbbh-duplicate'
  | 'xzq-sum';

export interface QualityRuleInfo {
  code: QualityRule;
  /** What a person reads. */
  label: string;
  /** What the rule demands and where it comes from. */
  basis: string;
}

/** TBMJ against the official area, per polygon: the area of record is kept to 0.01 m². */
export const TBMJ_TOLERANCE_M2 = 0.01;
/** Overlaps and gaps smaller than this are floating-point dust, not findings (1 cm²). */
export const OVERLAP_GAP_MIN_M2 = 0.0001;

/**
 * Tolerance of the county total ΣTBMJ − Σ(official area): each TBMJ is rounded to 0.01 m², so n
 * rounding errors (uniform within ±0.005, σ ≈ 0.0029 m²) add like a random walk; 0.01 m² × √n is
 * 3.5σ, never reached by rounding alone and far below a systematic error (a spherical instead of an
 * ellipsoidal area is 0.15 % too large, about 10 000 m² on 7 km²). At least 0.01 m².
 */
export function totalTolerance(n: number): number {
  return Math.max(TBMJ_TOLERANCE_M2, TBMJ_TOLERANCE_M2 * Math.sqrt(n));
}

/** |a − b| beyond tolerance, on 0.01 m² values (compared in hundredths, so 0.1 + 0.2 is 0.3). */
export function beyond(a: number, b: number, tolerance: number): boolean {
  return Math.round(Math.abs(a - b) * 1e6) > Math.round(tolerance * 1e6);
}

export const QUALITY_RULES: Readonly<Record<QualityRule, QualityRuleInfo>> = {
  'tbmj-area': {
    code: 'tbmj-area',
    label: '图斑面积与椭球面积不符',
    basis: 'TBMJ应为图斑的椭球面积（国土调查办发〔2008〕32号），按高斯投影平面坐标反算经纬度计算，保留0.01平方米；相差超过0.01平方米',
  },
  'tbmj-total': {
    code: 'tbmj-total',
    label: '全县图斑面积合计与椭球面积合计不符',
    basis: '各图斑TBMJ之和与椭球面积之和相差超过0.01平方米×√图斑数（逐图斑取舍误差累积的上限）',
  },
  kcmj: { code: 'kcmj', label: '扣除地类面积计算错误', basis: 'KCMJ = round(TBMJ × KCXS, 2)；无扣除系数时KCMJ为0' },
  tbdlmj: { code: 'tbdlmj', label: '图斑地类面积计算错误', basis: 'TBDLMJ = TBMJ − KCMJ' },
  overlap: { code: 'overlap', label: '图斑重叠', basis: '地类图斑之间不得重叠（面积不小于1平方厘米的重叠）' },
  gap: { code: 'gap', label: '图斑间缝隙', basis: '地类图斑应无缝覆盖县域（行政区XZQ县级界线以内，或图斑合并后的内部空洞）' },
  'bsm-duplicate': { code: 'bsm-duplicate', label: '标识码重复', basis: '标识码BSM在图层内唯一' },
  'tbbh-duplicate': { code: 'tbbh-duplicate', label: '图斑编号重复', basis: '图斑编号TBBH在同一坐落单位（ZLDWDM）内唯一' },
  'xzq-sum': {
    code: 'xzq-sum',
    label: '图斑面积汇总与行政区调查面积不符',
    basis: '乡镇、村坐落图斑TBMJ之和应等于同年行政区XZQ的调查面积DCMJ（相差超过0.01平方米）',
  },
};

export const QUALITY_RULE_CODES = Object.keys(QUALITY_RULES) as QualityRule[];
