/**
 * Actors and jurisdiction (Jiangxi scheme §三(二)2, §三(三)2): who does what, and which
 * administrative codes (GB/T 2260) each user may see.
 *
 * | role                        | code        | sees                     |
 * | township                    | 361123100   | its township's parcels   |
 * | county-forestry             | 361123      | its county               |
 * | county-natural-resources    | 361123      | its county               |
 * | county-government           | 361123      | its county               |
 * | city                        | 361100      | its city's counties 3611 |
 * | city-natural-resources      | 361100      | its city's counties 3611 |
 * | province-reviewer           | 360000      | the province 36          |
 * | province-admin              | 360000      | the province 36          |
 * | province-natural-resources  | 360000      | the province 36          |
 *
 * The natural-resources departments act where the seed says "林业、自然资源等部门" (核实, 造林, 验收,
 * the city's and the province's checks) and do the land-class change in the annual change survey
 * ("县级自然资源主管部门在年度土地变更调查更新数据库中进行地类变更"); each sees exactly what the forestry
 * role of its level sees.
 */
export const ROLES = [
  'township',
  'county-forestry',
  'county-natural-resources',
  'county-government',
  'city',
  'city-natural-resources',
  'province-reviewer',
  'province-admin',
  'province-natural-resources',
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  township: '乡镇人民政府',
  'county-forestry': '县级林业主管部门',
  'county-natural-resources': '县级自然资源主管部门',
  'county-government': '县级人民政府',
  city: '设区市林业主管部门',
  'city-natural-resources': '设区市自然资源主管部门',
  'province-reviewer': '省级林业主管部门（审核）',
  'province-admin': '省级林业主管部门（管理）',
  'province-natural-resources': '省级自然资源主管部门',
};

export const isRole = (v: string): v is Role => (ROLES as readonly string[]).includes(v);

export type Level = 'township' | 'county' | 'city' | 'province';

export function levelOf(role: Role): Level {
  switch (role) {
    case 'township':
      return 'township';
    case 'county-forestry':
    case 'county-natural-resources':
    case 'county-government':
      return 'county';
    case 'city':
    case 'city-natural-resources':
      return 'city';
    default:
      return 'province';
  }
}

/**
 * Normalises a user's administrative code for the role, or returns the reason it is wrong:
 * province 36 / 360000 → 360000; city 3611 / 361100 → 361100; county 361123; township 361123100.
 */
export function normaliseAdminCode(role: Role, code: string): { code: string } | { error: string } {
  const c = code.trim();
  switch (levelOf(role)) {
    case 'province':
      if (/^\d{2}$/.test(c)) return { code: `${c}0000` };
      if (/^\d{2}0000$/.test(c)) return { code: c };
      return { error: `省级用户的行政区代码应为2位（如36）或以0000结尾的6位（如360000），实际为“${c}”` };
    case 'city':
      if (/^\d{4}$/.test(c) && !c.endsWith('00')) return { code: `${c}00` };
      if (/^\d{4}00$/.test(c) && !c.endsWith('0000')) return { code: c };
      return { error: `设区市用户的行政区代码应为4位（如3611）或以00结尾的6位（如361100），实际为“${c}”` };
    case 'county':
      if (/^\d{6}$/.test(c) && !c.endsWith('00')) return { code: c };
      return { error: `县级用户的行政区代码应为6位县级代码（如361123），实际为“${c}”` };
    case 'township':
      if (/^\d{9}$/.test(c) && !c.slice(0, 6).endsWith('00')) return { code: c };
      return { error: `乡镇用户的行政区代码应为9位（如361123100），实际为“${c}”` };
  }
}

/** The code prefix a user's jurisdiction covers: 2 digits (province), 4 (city), 6 (county and township). */
export function scopePrefix(role: Role, adminCode: string): string {
  switch (levelOf(role)) {
    case 'province':
      return adminCode.slice(0, 2);
    case 'city':
      return adminCode.slice(0, 4);
    default:
      return adminCode.slice(0, 6);
  }
}

export interface Jurisdiction {
  role: Role;
  adminCode: string;
}

/** Whether a county (6-digit) code lies within the user's jurisdiction (townships: their county). */
export function coversCounty(j: Jurisdiction, county: string): boolean {
  return /^\d{6}$/.test(county) && county.startsWith(scopePrefix(j.role, j.adminCode));
}

/** The city (设区市) code of a county: 361123 → 361100. */
export const cityOf = (county: string): string => `${county.slice(0, 4)}00`;
/** The province code of a county: 361123 → 360000. */
export const provinceOf = (county: string): string => `${county.slice(0, 2)}0000`;
