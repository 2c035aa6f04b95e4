/**
 * Headers the outbound HTTP client owns: message framing and hop-by-hop connection management
 * (RFC 9110 §7.6.1 and §6.4, RFC 9112). A value set by an endpoint's custom headers or a tool's
 * template could desynchronise the request (request smuggling), hold the connection open, or
 * address a proxy, so none of them may be configured. The one list for webhooks and tools alike.
 */
const CLIENT_OWNED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer']);

/** Whether a header name (any case) is one the HTTP client sets itself: see CLIENT_OWNED, plus every `proxy-*`. */
export function isClientOwnedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return CLIENT_OWNED.has(lower) || lower.startsWith('proxy-');
}
