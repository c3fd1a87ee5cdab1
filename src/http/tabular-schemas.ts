import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { ProblemSchema } from './schemas.js';

/** The content type of an Excel workbook (what `?format=xlsx` answers). */
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** `?format=`: a table as JSON (default), CSV (UTF-8 with BOM) or an XLSX workbook. */
export const TableFormatQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')], { description: 'json（默认）、csv（UTF-8带BOM，第一张表）或xlsx' })),
});

/**
 * A table in the format asked for, one schema per content type (OpenAPI `content`): JSON, CSV
 * (UTF-8 with BOM, Chinese headers) or an XLSX workbook. Fastify serialises only the JSON one; the
 * CSV text and the XLSX stream pass through as sent.
 */
export const tableAnswer = <T extends TSchema>(json: T) => ({
  content: {
    'application/json': { schema: json },
    'text/csv': { schema: Type.String({ description: 'format=csv：UTF-8（带BOM）CSV，中文表头' }) },
    [XLSX_TYPE]: { schema: Type.String({ format: 'binary', description: 'format=xlsx：Excel工作簿' }) },
  },
});

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema };

/** The schema of a route that answers a table: its request (`format` among the query) and `tableAnswer`. */
export const tableRoute = <R extends { params?: TSchema; querystring: TSchema }, J extends TSchema>(
  tags: string[],
  summary: string,
  request: R,
  json: J,
  description?: string,
) => ({
  tags,
  summary,
  ...(description ? { description } : {}),
  ...request,
  response: { 200: tableAnswer(json), ...problems },
});
