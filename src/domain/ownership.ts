/** 权属性质 QSXZ code list (三调). */
export const QSXZ: Readonly<Record<string, string>> = {
  '10': '国有土地所有权',
  '20': '国有土地使用权',
  '30': '集体土地所有权',
  '31': '村民小组',
  '32': '村集体经济组织',
  '33': '乡集体经济组织',
  '34': '其他农民集体经济组织',
  '40': '集体土地使用权',
};

export function isQsxzCode(code: string): boolean {
  return Object.hasOwn(QSXZ, code.trim());
}

/** State (国有) or collective (集体) ownership, for the "mixed ownership" rule. */
export function ownershipKind(qsxz: string): 'state' | 'collective' | undefined {
  const c = qsxz.trim();
  if (c === '10' || c === '20') return 'state';
  if (/^3[0-4]$/.test(c) || c === '40') return 'collective';
  return undefined;
}

/**
 * Checks a 19-digit 坐落/权属单位代码 (ZLDWDM, QSDWDM): 12-digit village code followed by
 * 7 digits; its first 6 digits are the county (GB/T 2260). Returns a reason when it fails.
 */
export function unitCodeProblem(code: string, countyCode: string): string | undefined {
  const c = code.trim();
  if (!/^\d{19}$/.test(c)) return `应为19位数字，实际为“${c}”（${c.length}位）`;
  if (!c.startsWith(countyCode)) return `前6位${c.slice(0, 6)}与县级代码${countyCode}不一致`;
  return undefined;
}

export function isCountyCode(code: string): boolean {
  return /^\d{6}$/.test(code) && !code.endsWith('00');
}
