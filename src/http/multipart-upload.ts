import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { Problem, badInput } from './problem.js';
import { multipartRequired, nulCharacter, requestInvalid, uploadTooLarge } from './errors.js';

export interface ReceivedFile {
  path: string;
  name: string;
  sha256: string;
  bytes: number;
}

/** A form boolean: true/false, 1/0, yes/no, 是/否; absent is false. */
export function parseBoolean(v: string | undefined, field: string): boolean {
  if (v === undefined || v === '') return false;
  if (/^(true|1|yes|是)$/i.test(v)) return true;
  if (/^(false|0|no|否)$/i.test(v)) return false;
  throw requestInvalid(`参数${field}应为true或false，实际为“${v}”`, undefined, 'Invalid form field');
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
        const value = String(part.value ?? '');
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

