/**
 * `switchboard trigger`: asks a running server to send one example event of a type to an endpoint
 * (POST /v1/webhooks/{id}/test), as a real, signed delivery.
 */
export async function trigger(opts: { api: string; key: string; webhook: string; type: string }): Promise<{ ok: boolean; text: string }> {
  const res = await fetch(`${opts.api.replace(/\/$/, '')}/v1/webhooks/${encodeURIComponent(opts.webhook)}/test`, {
    method: 'POST',
    headers: { authorization: `Bearer ${opts.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: opts.type }),
  });
  return { ok: res.ok, text: await res.text() };
}
