/** zh-CN numbers, areas and dates for everything a person reads. */
const nf = (digits: number) => new Intl.NumberFormat('zh-CN', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const n2 = nf(2);
const n4 = nf(4);
const n0 = nf(0);

export const fmtInt = (v: number) => n0.format(v);
export const fmtM2 = (v: number) => `${n2.format(v)} 平方米`;
export const fmtMu = (v: number) => `${n2.format(v)} 亩`;
export const fmtHa = (v: number) => `${n4.format(v)} 公顷`;
export const MU_PER_M2 = 15 / 10000;
export const muOf = (m2: number) => m2 * MU_PER_M2;
export const haOf = (m2: number) => m2 / 10000;

/** 2026年11月29日 (the calendar day in China). */
export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T00:00:00+08:00`) : new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'long', day: 'numeric' }).format(d);
}

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const time = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false }).format(d);
  return `${fmtDate(iso)} ${time}`;
}

export const STATUS_LABELS: Record<string, string> = { pass: '通过', warn: '警告', fail: '未通过', 'not-run': '未检查' };
export const STATUS_COLOURS: Record<string, string> = { pass: '#2e9e44', warn: '#e6a23c', fail: '#d03050', 'not-run': '#909399' };
