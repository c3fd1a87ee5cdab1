import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { attachment, toCsv, writeXlsx, type Column } from '../../../src/reports/tabular.js';

const columns: Column<{ name: string; mu: number }>[] = [
  { header: '县名', value: (r) => r.name },
  { header: '面积（亩）', value: (r) => r.mu, numFmt: '0.0000' },
];
const rows = [{ name: '玉山县', mu: 499.99 }, { name: '含,逗号"引号', mu: 500 }];

describe('tabular reports', () => {
  it('writes CSV with a BOM, Chinese headers and RFC 4180 quoting', async () => {
    const csv = await toCsv(columns, rows);
    expect(csv.startsWith('\uFEFF县名,面积（亩）\r\n')).toBe(true);
    expect(csv).toContain('"含,逗号""引号",500');
  });
  it('writes an XLSX that a spreadsheet library reads back with the Chinese headers', async () => {
    const pass = new PassThrough();
    const chunks: Buffer[] = [];
    pass.on('data', (c: Buffer) => chunks.push(c));
    await writeXlsx(pass, [{ name: '台账', columns, rows }]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.concat(chunks) as unknown as ExcelJS.Buffer);
    const ws = wb.getWorksheet('台账')!;
    expect(ws.getRow(1).values).toEqual([undefined, '县名', '面积（亩）']);
    expect(ws.getRow(2).values).toEqual([undefined, '玉山县', 499.99]);
  });
  it('names attachments in UTF-8', () => {
    expect(attachment('玉山县台账.xlsx')).toBe(`attachment; filename="_____.xlsx"; filename*=UTF-8''%E7%8E%89%E5%B1%B1%E5%8E%BF%E5%8F%B0%E8%B4%A6.xlsx`);
  });
});
