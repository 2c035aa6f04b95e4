import { request } from 'undici';

/** Setup calls against a running Switchboard (not measured). */
export interface Api {
  url: string;
  call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Like call, but throws unless the status is `expect`. */
  must<T = any>(method: string, path: string, body: unknown, expect: number): Promise<T>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function api(url: string, key: string): Api {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await request(url + path, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.statusCode, body: parsed };
  };
  return {
    url,
    call,
    async must(method, path, body, expect) {
      const r = await call(method, path, body);
      if (r.status !== expect) throw new ApiError(r.status, `${method} ${path} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
      return r.body;
    },
  };
}
