/**
 * Calls to the service under the session cookie. Writes carry the session's CSRF token; every
 * refusal (problem+json) becomes an ApiError whose message is the Chinese `detail`, never raw JSON.
 * A 401 (session expired or revoked) asks the shell to sign in again without leaving the view, so
 * a half-filled form survives.
 */
import { reactive } from 'vue';

export interface Me {
  id: string;
  login: string;
  name: string;
  role: string;
  roleLabel: string;
  adminCode: string;
  scopePrefix: string;
  township: string | null;
  session: { csrfToken: string; expiresAt: string } | null;
}

export const auth = reactive<{ me: Me | null; expired: boolean }>({ me: null, expired: false });

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The Chinese message of a refusal; a generic one when the answer is not problem+json. */
async function errorOf(res: Response): Promise<ApiError> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const p = (await res.json()) as { code?: string; detail?: string; errors?: { message?: string }[] };
      const extra = Array.isArray(p.errors) && p.errors.length ? `（${p.errors.map((e) => e.message).filter(Boolean).slice(0, 3).join('；')}）` : '';
      return new ApiError(res.status, p.code ?? `http-${res.status}`, `${p.detail ?? '请求失败'}${extra}`);
    } catch {
      /* fall through */
    }
  }
  return new ApiError(res.status, `http-${res.status}`, res.status >= 500 ? '服务暂时不可用，请稍后重试' : `请求失败（${res.status}）`);
}

const headersFor = (method: string, json: boolean): Record<string, string> => {
  const h: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (json) h['content-type'] = 'application/json';
  if (method !== 'GET' && auth.me?.session) h['x-csrf-token'] = auth.me.session.csrfToken;
  return h;
};

/**
 * Start-up GETs sent together as the page starts (main.ts), instead of one after another as the
 * shell and the first view mount. Each answer is used once, within a few seconds; one that failed
 * (before sign-in they are refused) is asked again when needed, except where any answer will do.
 */
const early = new Map<string, { at: number; res: Promise<Response | null> }>();
const EARLY_MS = 10_000;

export function startRequests(paths: string[]): void {
  for (const p of paths) early.set(p, { at: performance.now(), res: fetch(p, { headers: headersFor('GET', false) }).catch(() => null) });
}

/** A GET: the answer started early when there is one to use, else a new request. */
export async function fetchGet(path: string, opts: { anyStatus?: boolean } = {}): Promise<Response> {
  const e = early.get(path);
  early.delete(path);
  if (e && performance.now() - e.at < EARLY_MS) {
    const res = await e.res;
    if (res && (res.ok || opts.anyStatus)) return res;
  }
  return fetch(path, { headers: headersFor('GET', false) });
}

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res =
    method === 'GET' ? await fetchGet(path) : await fetch(path, { method, headers: headersFor(method, body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401 && !path.endsWith('/auth/login') && auth.me) auth.expired = true;
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);

export async function signIn(login: string, password: string): Promise<Me> {
  auth.me = await post<Me>('/api/v1/auth/login', { login, password });
  auth.expired = false;
  return auth.me;
}

export async function signOut(): Promise<void> {
  await post('/api/v1/auth/logout').catch(() => undefined);
  auth.me = null;
}

/** The current session, if the cookie still names one. */
export async function restore(): Promise<void> {
  try {
    // A 401 started early is the answer too (not signed in): no second request.
    const res = await fetchGet('/api/v1/me', { anyStatus: true });
    auth.me = res.ok ? ((await res.json()) as Me) : null;
  } catch {
    auth.me = null;
  }
}

/** A multipart upload with progress (fetch reports none): resolves with the JSON answer. */
export function upload<T>(path: string, form: FormData, onProgress: (share: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('accept', 'application/json, application/problem+json');
    if (auth.me?.session) xhr.setRequestHeader('x-csrf-token', auth.me.session.csrfToken);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, 'network', '网络连接失败，请检查后重试'));
    xhr.onload = () => {
      const res = new Response(xhr.responseText, { status: xhr.status, headers: { 'content-type': xhr.getResponseHeader('content-type') ?? '' } });
      if (xhr.status === 401) auth.expired = true;
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as T);
      else void errorOf(res).then(reject);
    };
    xhr.send(form);
  });
}

/** The county the user works on: their own, or (city, province) the first county with layers in scope. */
export function countyOf(me: Me): string | null {
  if (me.scopePrefix.length >= 6) return me.scopePrefix.slice(0, 6);
  return null;
}
