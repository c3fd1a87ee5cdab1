import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** A multipart/form-data body for app.inject(): fields first, then one file. */
export function multipart(fields: Record<string, string | number | boolean>, file?: { path: string; name?: string } | { content: Buffer; name: string }) {
  const boundary = '----zhanbu' + randomBytes(8).toString('hex');
  const chunks: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${String(v)}\r\n`));
  }
  if (file) {
    const content = 'content' in file ? file.content : readFileSync(file.path);
    const name = 'content' in file ? file.name : (file.name ?? basename(file.path));
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      content,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
