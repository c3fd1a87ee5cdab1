/**
 * docker-compose.yml carries no fixed credentials and runs the app as zhanbu_service (issue 8,
 * item 2): a return to `POSTGRES_PASSWORD: postgres` or to a superuser DATABASE_URL fails here.
 * Read as text (the repository has no YAML parser of its own): services are the two-space keys
 * under `services:`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const text = readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8');
const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));

/** Each service's lines (its block under `services:`), by name. */
function services(): Map<string, string> {
  const out = new Map<string, string[]>();
  let inServices = false;
  let current: string[] | undefined;
  for (const line of lines) {
    if (/^\S/.test(line)) {
      inServices = /^services:\s*$/.test(line);
      current = undefined;
      continue;
    }
    const name = inServices ? /^ {2}([A-Za-z0-9_.-]+):\s*$/.exec(line)?.[1] : undefined;
    if (name) out.set(name, (current = []));
    else current?.push(line);
  }
  return new Map([...out].map(([k, v]) => [k, v.join('\n')]));
}

const svc = services();
const service = (name: string) => {
  const s = svc.get(name);
  if (s === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
/** The files the one-shot secrets service generates (`gen <path>`). */
const generated = () => [...service('secrets').matchAll(/^\s*gen\s+(\/\S+)\s*$/gm)].map((m) => m[1]!);

describe('docker-compose.yml: generated secrets, no superuser for the app', () => {
  it('has the services it is read for', () => {
    expect([...svc.keys()]).toEqual(expect.arrayContaining(['secrets', 'db', 'migrate', 'app']));
  });

  it('sets no literal POSTGRES_PASSWORD: the superuser password is a file the secrets service generates', () => {
    expect(text).not.toMatch(/POSTGRES_PASSWORD\s*[:=]/);
    const file = /^\s*POSTGRES_PASSWORD_FILE:\s*(\S+)\s*$/m.exec(service('db'))?.[1];
    expect(file).toBeDefined();
    expect(generated()).toContain(file);
  });

  it('every connection URL takes its password from a generated file, never a literal', () => {
    const urls = [...text.matchAll(/postgres(?:ql)?:\/\/([^:@/\s"]+)(?::([^@"\n]*))?@/g)];
    expect(urls.length).toBeGreaterThan(0);
    for (const [url, , password] of urls) {
      const file = /^\$\$\(cat (\/\S+)\)$/.exec(password ?? '')?.[1];
      expect(file, url).toBeDefined();
      expect(generated(), url).toContain(file);
    }
    expect(text).not.toMatch(/ZHANBU_SERVICE_PASSWORD\s*:/);
  });

  it("the app's DATABASE_URL is the zhanbu_service login, and the app does not mount the superuser's secret", () => {
    const app = service('app');
    const urls = [...app.matchAll(/DATABASE_URL\s*[:=]\s*"?postgres(?:ql)?:\/\/([^:@/\s"]+)/g)].map((m) => m[1]);
    expect(urls).toEqual(['zhanbu_service']);
    // The superuser password's folder, and the volume db mounts there: neither is in the app's service.
    const adminDir = /^\s*POSTGRES_PASSWORD_FILE:\s*(\S+)\/[^/\s]+\s*$/m.exec(service('db'))?.[1];
    expect(adminDir).toBeDefined();
    const adminVolume = new RegExp(`^\\s*-\\s*([A-Za-z0-9_-]+):${adminDir}(:ro)?\\s*$`, 'm').exec(service('db'))?.[1];
    expect(adminVolume).toBeDefined();
    expect(app).not.toContain(adminDir);
    expect(app).not.toMatch(new RegExp(`^\\s*-\\s*${adminVolume}:`, 'm'));
  });
});
