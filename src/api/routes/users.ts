import { Type } from 'typebox';
import type { App } from '../types.ts';
import { responses } from '../types.ts';
import { IdParams, JsonObject, ListOf, ListQuery, Nullable, User } from '../../domain/schemas.ts';
import type { UserService } from '../../services/users.ts';
import { callerOf } from '../auth.ts';

const Str = (max: number) => Nullable(Type.String({ maxLength: max }));
const UserBody = Type.Object(
  {
    external_id: Type.Optional(Str(255)),
    name: Type.Optional(Str(255)),
    email: Type.Optional(Str(320)),
    phone: Type.Optional(Str(64)),
    attributes: Type.Optional(JsonObject),
  },
  { additionalProperties: false },
);
export const TagName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });

export function userRoutes(app: App, users: UserService) {
  const tags = ['users'];
  app.post(
    '/v1/users',
    { schema: { tags, summary: 'Create a user (emits user.created)', body: UserBody, response: responses({ 201: User }) } },
    async (req, reply) => reply.code(201).send(await users.create(callerOf(req), req.body)),
  );
  app.get(
    '/v1/users',
    { schema: { tags, summary: 'List users, newest first', querystring: ListQuery, response: responses({ 200: ListOf(User) }) } },
    async (req) => users.list(callerOf(req), req.query.limit ?? 20, req.query.cursor),
  );
  app.get(
    '/v1/users/:id',
    { schema: { tags, summary: 'Get a user', params: IdParams, response: responses({ 200: User }) } },
    async (req) => users.get(callerOf(req), req.params.id),
  );
  app.put(
    '/v1/users/:id',
    { schema: { tags, summary: 'Replace a user profile (emits user.updated)', params: IdParams, body: UserBody, response: responses({ 200: User }) } },
    async (req) => users.replace(callerOf(req), req.params.id, req.body),
  );
  app.patch(
    '/v1/users/:id',
    {
      schema: {
        tags,
        summary: 'Update some fields of a user; attributes merge, null removes (emits user.updated)',
        params: IdParams,
        body: UserBody,
        response: responses({ 200: User }),
      },
    },
    async (req) => users.patch(callerOf(req), req.params.id, req.body),
  );
  app.delete(
    '/v1/users/:id',
    { schema: { tags, summary: 'Delete a user', params: IdParams, response: responses({ 204: Type.Null() }) } },
    async (req, reply) => {
      await users.remove(callerOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.delete(
    '/v1/users/:id/tags/:tag',
    {
      schema: {
        tags: ['tags'],
        summary: 'Remove a tag from a user (emits tag.removed; removing an absent tag changes nothing)',
        params: Type.Object({ id: Type.String({ maxLength: 64 }), tag: TagName }),
        response: responses({ 200: User }),
      },
    },
    async (req) => users.removeTag(callerOf(req), req.params.id, req.params.tag),
  );
  app.post(
    '/v1/tags',
    {
      schema: {
        tags: ['tags'],
        summary: 'Apply a tag to a user (emits tag.applied; 200 and no event when the user had it)',
        body: Type.Object({ user_id: Type.String({ maxLength: 64 }), tag: TagName }, { additionalProperties: false }),
        response: responses({ 200: User, 201: User }),
      },
    },
    async (req, reply) => {
      const { user, applied } = await users.applyTag(callerOf(req), req.body.user_id, req.body.tag);
      return reply.code(applied ? 201 : 200).send(user);
    },
  );
  app.get(
    '/v1/tags',
    {
      schema: {
        tags: ['tags'],
        summary: 'Tag names in use, with the number of users carrying each',
        response: responses({ 200: ListOf(Type.Object({ tag: Type.String(), count: Type.Integer() })) }),
      },
    },
    async (req) => ({ data: await users.tagCounts(callerOf(req)), next_cursor: null }),
  );
}
