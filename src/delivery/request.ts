import { signatureHeader } from '../domain/signing.ts';
import { isSecretHeader, MASK, redactText } from '../domain/masking.ts';
import type { Endpoint } from '../store/webhooks.ts';
import { USER_AGENT } from '../version.ts';

/** A signed webhook request, plus its headers as they may be logged (credentials masked). */
export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  loggedHeaders: Record<string, string>;
}

/**
 * Builds the request for one envelope (Delivery on the wire): the Standard Webhooks headers signed
 * with every key in effect (two `v1,` signatures while a rotated secret is still valid), then the
 * endpoint's auth, then its custom headers (a custom `user-agent` replaces Switchboard's). `body`
 * must be the exact text that will be sent. Used by the delivery worker and the synchronous
 * webhooks (conversation.setup).
 */
export function buildSignedRequest(endpoint: Pick<Endpoint, 'url' | 'secrets' | 'auth' | 'headers'>, msg: { id: string; body: string; timestamp?: number }): SignedRequest {
  const timestamp = msg.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': msg.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(endpoint.secrets, msg.id, timestamp, msg.body),
  };
  const logged: Record<string, string> = { ...headers };
  // A header set by the endpoint's auth or custom headers replaces one set above under any
  // spelling (User-Agent), so it is never sent twice.
  const put = (name: string, value: string, shown: string) => {
    const lower = name.toLowerCase();
    for (const k of Object.keys(headers)) {
      if (k.toLowerCase() === lower) {
        delete headers[k];
        delete logged[k];
      }
    }
    headers[name] = value;
    logged[name] = shown;
  };
  let url = endpoint.url;
  const auth = endpoint.auth;
  if (auth.type === 'basic') {
    put('authorization', 'Basic ' + Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64'), `Basic ${MASK}`);
  } else if (auth.type === 'api_key' && auth.in === 'header') {
    put(auth.name, auth.value, MASK);
  } else if (auth.type === 'api_key') {
    url = withQueryParam(url, auth.name, auth.value);
  }
  const credentials = endpointCredentials(endpoint);
  for (const h of endpoint.headers) put(h.key, h.value, isSecretHeader(h.key) ? MASK : redactText(h.value, credentials));
  return { url, headers, loggedHeaders: logged };
}

/** The endpoint's credentials, which no log may show wherever they appear (the masking policy's known secrets). */
export function endpointCredentials(endpoint: Pick<Endpoint, 'auth' | 'headers'>): string[] {
  const auth = endpoint.auth;
  const out: string[] = [];
  if (auth.type === 'basic') out.push(auth.password);
  if (auth.type === 'api_key') out.push(auth.value);
  for (const h of endpoint.headers) if (isSecretHeader(h.key)) out.push(h.value);
  return out;
}

/** Appends one query parameter, leaving the URL's own query exactly as written. */
export function withQueryParam(url: string, name: string, value: string): string {
  const u = new URL(url);
  const extra = new URLSearchParams([[name, value]]).toString();
  u.search = u.search.length > 1 ? `${u.search}&${extra}` : extra;
  return u.toString();
}
