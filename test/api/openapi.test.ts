import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('OpenAPI document', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer('sqlite');
  });
  after(() => t.close());

  it('is a valid OpenAPI 3.1 document generated from the route schemas', async () => {
    const doc = await (await fetch(t.url + '/openapi.json')).json();
    assert.equal(doc.openapi, '3.1.0');
    // validate() throws with the list of problems when the document is invalid
    await SwaggerParser.validate(structuredClone(doc));
    for (const path of ['/v1/users', '/v1/users/{id}', '/v1/conversations', '/v1/messages', '/v1/events', '/v1/event-types', '/v1/keys', '/v1/tags']) {
      assert.ok(doc.paths[path], `missing ${path}`);
    }
    // The probes are part of the contract too, open (no key) and described.
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const op = doc.paths[path]?.get;
      assert.ok(op, `missing ${path}`);
      assert.deepEqual(op.security, [], `${path} needs no API key`);
      assert.ok(op.operationId && op.description, `${path} has an operationId and a description`);
    }
    assert.ok(doc.paths['/readyz'].get.responses['503']);
    assert.ok(doc.paths['/metrics'].get.responses['200'].content['text/plain']);
    const create = doc.paths['/v1/conversations'].post;
    assert.ok(create.requestBody.content['application/json'].schema.properties.channel);
    assert.ok(create.responses['201']);
  });

  it('renders the docs page', async () => {
    const res = await fetch(t.url + '/docs', { redirect: 'follow' });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /swagger/i);
  });
});
