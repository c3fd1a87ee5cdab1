import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { Type, type Static, type TObject, type TProperties, type TSchema } from '@fastify/type-provider-typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { Problem, badInput } from './problem.js';
import { multipartRequired, nulCharacter, requestInvalid, unknownProperty, uploadTooLarge } from './errors.js';

export interface ReceivedFile {
  path: string;
  name: string;
  sha256: string;
  bytes: number;
}

/** How a form field's schema reads in a message: its literals, its range, or its description. */
function expected(schema: TSchema | undefined): string {
  const s = (schema ?? {}) as { anyOf?: { const?: string | number | boolean }[]; type?: string; minimum?: number; maximum?: number; description?: string };
  const literals = s.anyOf?.map((o) => o.const).filter((v) => v !== undefined);
  const why = s.description ? `（${s.description}）` : '';
  if (literals?.length) return `${literals.slice(0, -1).join('、')}${literals.length > 1 ? '或' : ''}${String(literals[literals.length - 1])}${why}`;
  if (s.type === 'boolean') return 'true或false';
  if (s.type === 'integer') return `${s.minimum ?? ''}至${s.maximum ?? ''}的整数${why}`;
  return s.description ?? '有效的值';
}

/**
 * A form field's text: the string as sent; a part sent as application/json (which the multipart
 * plugin parses) as its JSON text rather than `[object Object]`.
 */
function fieldText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Words a form may use for a boolean besides true/false and 1/0. */
const BOOLEAN_WORDS: Record<string, boolean> = { yes: true, no: false, 是: true, 否: false };

/**
 * Validates the text fields of a multipart form with the TypeBox schema that documents it (Fastify
 * cannot validate a streamed body, so the route switches its validator off and calls this after
 * receiveUpload). Text is converted as Fastify converts a query string ("2019" → 2019, "true"/"1" →
 * true; yes/no and 是/否 too); an empty field counts as absent. `leftOut` names the file and the
 * fields a service checks with codes of its own (a county code is 422 county-code-invalid there, as
 * for the command line). The first field that breaks the schema is answered 400 request-invalid.
 */
export function formValidator<T extends TProperties, K extends keyof T & string>(form: TObject<T>, leftOut: readonly K[]) {
  const schema = Type.Omit(form, leftOut) as unknown as TObject;
  const properties = schema.properties as Record<string, TSchema>;
  const check = Compile(schema);
  return (fields: Record<string, string>): Omit<Static<TObject<T>>, K> => {
    const input: Record<string, unknown> = {};
    for (const [name, text] of Object.entries(fields)) {
      if (leftOut.includes(name as K)) continue;
      // As for JSON bodies: a field the form does not know (a misspelt option) is refused, never ignored.
      if (!Object.hasOwn(properties, name)) throw unknownProperty(`form.${name}`, name);
      if (text === '') continue;
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the rule is wrong here: tsc needs it
      const boolean = (properties[name] as { type?: string } | undefined)?.type === 'boolean' ? BOOLEAN_WORDS[text.toLowerCase()] : undefined;
      input[name] = boolean ?? text;
    }
    const value = Value.Default(schema, Value.Convert(schema, input)) as Record<string, unknown>;
    const error = check.Errors(value)[0];
    if (error) {
      const missing = (error.params as { requiredProperties?: string[] }).requiredProperties;
      const field = missing?.[0] ?? error.instancePath.split('/')[1] ?? '';
      const detail = missing ? `缺少参数${field}` : `参数${field}应为${expected(properties[field])}，实际为“${fields[field] ?? ''}”`;
      throw requestInvalid(detail, { field }, 'Invalid form field');
    }
    return value as Omit<Static<TObject<T>>, K>;
  };
}

/**
 * Reads a multipart form: fields into a map, the single file streamed to disk while hashing.
 * `onField` sees each field as it arrives and may throw: a form whose county (sent before the file,
 * as curl -F and browsers do in field order) is outside the user's jurisdiction is refused before a
 * byte of the file is written.
 */
export async function receiveUpload(
  req: FastifyRequest,
  dir: string,
  maxBytes: number,
  onField?: (name: string, value: string) => void,
): Promise<{ fields: Record<string, string>; file: ReceivedFile }> {
  if (!req.isMultipart()) {
    throw multipartRequired();
  }
  const fields: Record<string, string> = {};
  let file: ReceivedFile | undefined;
  await mkdir(dir, { recursive: true });
  try {
    for await (const part of req.parts({ limits: { fileSize: maxBytes, files: 1 } })) {
      // PostgreSQL refuses NUL in text: refuse it here rather than answer 500 later.
      if (part.fieldname.includes('\u0000')) throw nulCharacter('表单字段名');
      if (part.type === 'field') {
        const value = fieldText(part.value);
        if (value.includes('\u0000')) throw nulCharacter(`表单字段${part.fieldname}`);
        fields[part.fieldname] = value.trim();
        onField?.(part.fieldname, fields[part.fieldname]!);
        continue;
      }
      if ((part.filename ?? '').includes('\u0000')) {
        part.file.resume();
        throw nulCharacter('上传文件名');
      }
      if (file) {
        part.file.resume();
        throw new Problem(400, 'too-many-files', 'Only one file per import', '每次导入只能上传一个文件（多个Shapefile请打包为一个zip）');
      }
      const path = join(dir, randomUUID());
      const hash = createHash('sha256');
      let bytes = 0;
      await pipeline(
        part.file,
        new Transform({
          transform(chunk: Buffer, _e, cb) {
            hash.update(chunk);
            bytes += chunk.length;
            cb(null, chunk);
          },
        }),
        createWriteStream(path),
      );
      file = { path, name: part.filename || 'upload', sha256: hash.digest('hex'), bytes };
    }
  } catch (err) {
    if (file) await rm(file.path, { force: true });
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT') {
      throw uploadTooLarge(`上传文件超过大小上限${(maxBytes / 1024 ** 2).toFixed(0)}MB`, { limitBytes: maxBytes });
    }
    throw err;
  }
  if (!file) throw badInput('file-missing', 'No file uploaded', '请求中没有文件：请在表单字段file中上传数据文件');
  return { fields, file };
}

