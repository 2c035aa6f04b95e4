/**
 * A browser-like HTTP client for the console: keeps cookies, reads the CSRF token from pages,
 * sends forms as application/x-www-form-urlencoded and htmx requests with their headers.
 */
export interface ConsoleReply {
  status: number;
  headers: Headers;
  text: string;
}

export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  csrf: string | null = null;
  constructor(readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: string, path: string, form?: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<ConsoleReply> {
    const h: Record<string, string> = { ...headers };
    if (this.cookies.size) h.cookie = this.cookieHeader();
    let body: string | undefined;
    if (form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
      body = p.toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(this.base + path, { method, headers: h, body, redirect: 'manual' });
    this.remember(res);
    const text = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(text) ?? /x-csrf-token&quot;:&quot;([^&]+)&quot;/.exec(text);
    if (m) this.csrf = m[1]!;
    return { status: res.status, headers: res.headers, text };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  /** A plain form post carrying the page's CSRF token. */
  post(path: string, form: Record<string, string | string[]> = {}) {
    return this.request('POST', path, { _csrf: this.csrf ?? '', ...form });
  }

  /** An htmx request: the token in the header, as the page's hx-headers sends it. */
  htmx(method: string, path: string, form?: Record<string, string | string[]>) {
    return this.request(method, path, method === 'GET' ? undefined : (form ?? {}), { 'hx-request': 'true', 'x-csrf-token': this.csrf ?? '' });
  }

  async signIn(email: string, password: string): Promise<ConsoleReply> {
    await this.get('/console/sign-in');
    return this.post('/console/sign-in', { email, password, next: '/console' });
  }
}

/** The decoded HX-Trigger toast of an htmx answer. */
export function toastOf(reply: ConsoleReply): { message: string; kind: string } | null {
  const h = reply.headers.get('hx-trigger');
  return h ? (JSON.parse(h) as { toast: { message: string; kind: string } }).toast : null;
}
