import { PassThrough, type Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { FastifyReply } from 'fastify';

/** A column of a table people open in a spreadsheet: Chinese header, value per row. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
  /** Excel number format, e.g. '0.00' for m², '0.0000' for 亩. */
  numFmt?: string;
  width?: number;
}

export interface Sheet<T> {
  name: string;
  columns: Column<T>[];
  rows: Iterable<T> | AsyncIterable<T>;
}

/**
 * A sheet of whichever row type, for a list of sheets of different rows (a workbook). Build each
 * with `sheet()`, which checks its columns against its rows; here `value` is a method signature, so
 * every Sheet<T> is an AnySheet (a method's parameter is compared bivariantly).
 */
export interface AnySheet {
  name: string;
  columns: (Omit<Column<unknown>, 'value'> & { value(row: unknown): ReturnType<Column<unknown>['value']> })[];
  rows: Iterable<unknown> | AsyncIterable<unknown>;
}

/** A sheet whose columns read its rows, for a list of sheets (see AnySheet). */
export const sheet = <T>(s: Sheet<T>): AnySheet => s;

/**
 * Text a spreadsheet would read as a formula (=, +, -, @, or a leading tab or carriage return,
 * which Excel skips before looking). A plain decimal number written as text (“-12.5”) is not one:
 * it stays as it is, so exact amounts kept as strings are not mangled.
 */
export function looksLikeFormula(s: string): boolean {
  return /^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?$/.test(s);
}

/** A CSV cell. Text that looks like a formula is prefixed with ' (OWASP), so it opens as text; numbers are never touched. */
export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' && looksLikeFormula(v) ? `'${v}` : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV (RFC 4180) with a UTF-8 byte-order mark, so Excel on a Chinese Windows desktop opens the
 * Chinese headers correctly instead of reading them as GBK.
 */
export async function* csvLines<T>(columns: Column<T>[], rows: Iterable<T> | AsyncIterable<T>): AsyncGenerator<string> {
  yield '\uFEFF' + columns.map((c) => csvCell(c.header)).join(',') + '\r\n';
  for await (const row of rows) yield columns.map((c) => csvCell(c.value(row))).join(',') + '\r\n';
}

export async function toCsv<T>(columns: Column<T>[], rows: Iterable<T> | AsyncIterable<T>): Promise<string> {
  let out = '';
  for await (const line of csvLines(columns, rows)) out += line;
  return out;
}

/** Streams an .xlsx workbook (one sheet per table) into `out`, row by row. */
export async function writeXlsx(out: Writable, sheets: AnySheet[]): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  for (const sheet of sheets) {
    const ws = wb.addWorksheet(sheet.name.slice(0, 31));
    ws.columns = sheet.columns.map((c, i) => ({ key: `c${i}`, header: c.header, width: c.width ?? Math.max(10, c.header.length * 2 + 2), style: c.numFmt ? { numFmt: c.numFmt } : {} }));
    ws.getRow(1).font = { bold: true };
    for await (const row of sheet.rows) {
      const r = ws.addRow(sheet.columns.map((c) => c.value(row) ?? null));
      // Text is written as a string cell, never as a formula: pin the type whatever the value looks like.
      r.eachCell((cell) => {
        if (typeof cell.value === 'string' && looksLikeFormula(cell.value)) cell.value = { richText: [{ text: cell.value }] };
      });
      r.commit();
    }
    ws.commit();
  }
  await wb.commit();
}

/** An .xlsx workbook as a stream to hand to reply.send(). */
export function xlsxStream(sheets: AnySheet[]): PassThrough {
  const pass = new PassThrough();
  writeXlsx(pass, sheets).catch((err) => pass.destroy(err as Error));
  return pass;
}

import { XLSX_TYPE } from '../http/tabular-schemas.js';

/** Content-Disposition for a Chinese file name (RFC 6266 / 5987). */
export function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/**
 * Answers a report in the format asked for: the JSON as it is (serialised by the route's schema),
 * CSV of the first sheet, or an XLSX workbook of all sheets, each as an attachment `file`.csv/.xlsx.
 */
export async function sendTables<J>(reply: FastifyReply, format: string | undefined, tables: { file: string; sheets: AnySheet[] }, json: J): Promise<J | FastifyReply> {
  const { file, sheets } = tables;
  if (format === 'csv') {
    return reply.type('text/csv; charset=utf-8').header('content-disposition', attachment(`${file}.csv`)).send(await toCsv(sheets[0]!.columns, sheets[0]!.rows));
  }
  if (format === 'xlsx') return reply.type(XLSX_TYPE).header('content-disposition', attachment(`${file}.xlsx`)).send(xlsxStream(sheets));
  return json;
}
