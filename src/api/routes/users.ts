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
    {
      schema: {
        tags,
        operationId: 'createUser',
        summary: 'Create a user',
        description: 'Creates a contact of the company and emits `user.created`. `external_id` is unique within the company.',
        errors: { 409: 'Another user of the company already has this `external_id` (`conflict`, `param` external_id).' },
        body: UserBody,
        response: responses({ 201: User }),
      },
    },
    async (req, reply) => reply.code(201).send(await users.create(callerOf(req), req.body)),
  );
  app.get(
    '/v1/users',
    {
      schema: {
        tags,
        operationId: 'listUsers',
        summary: 'List users',
        description: 'Lists the company\'s users, newest first, a page of `limit` (default 20) at a time; pass `next_cursor` as `cursor` for the next page.',
        querystring: ListQuery,
        response: responses({ 200: ListOf(User) }),
      },
    },
    async (req) => users.list(callerOf(req), req.query.limit ?? 20, req.query.cursor),
  );
  app.get(
    '/v1/users/:id',
    {
      schema: {
        tags,
        operationId: 'getUser',
        summary: 'Get a user',
        description: 'Returns one user of the company with its tags and attributes.',
        params: IdParams,
        response: responses({ 200: User }),
      },
    },
    async (req) => users.get(callerOf(req), req.params.id),
  );
  app.put(
    '/v1/users/:id',
    {
      schema: {
        tags,
        operationId: 'replaceUser',
        summary: 'Replace a user',
        description: 'Replaces the whole profile: fields left out become null and attributes are replaced. Emits `user.updated`.',
        errors: { 409: 'Another user of the company already has this `external_id` (`conflict`, `param` external_id).' },
        params: IdParams,
        body: UserBody,
        response: responses({ 200: User }),
      },
    },
    async (req) => users.replace(callerOf(req), req.params.id, req.body),
  );
  app.patch(
    '/v1/users/:id',
    {
      schema: {
        tags,
        operationId: 'updateUser',
        summary: 'Update a user',
        description: 'Changes only the fields sent; `attributes` merge into the stored ones and a null attribute removes it. Emits `user.updated`.',
        errors: { 409: 'Another user of the company already has this `external_id` (`conflict`, `param` external_id).' },
        params: IdParams,
        body: UserBody,
        response: responses({ 200: User }),
      },
    },
    async (req) => users.patch(callerOf(req), req.params.id, req.body),
  );
  app.delete(
    '/v1/users/:id',
    {
      schema: {
        tags,
        operationId: 'deleteUser',
        summary: 'Delete a user',
        description: 'Deletes the user and its tags; its conversations stay. Emits no event.',
        params: IdParams,
        response: responses({ 204: Type.Null() }),
      },
    },
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
        operationId: 'removeUserTag',
        summary: 'Remove a tag from a user',
        description: 'Removes the tag and emits `tag.removed`; removing a tag the user does not carry changes nothing and emits nothing.',
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
        operationId: 'applyTag',
        summary: 'Apply a tag to a user',
        description: 'Applies the tag (201) and emits `tag.applied`; when the user already carries it, answers 200 and emits nothing.',
        errors: { 404: 'No user with this `user_id` in the company (`resource_not_found`, `param` user_id).' },
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
        operationId: 'listTags',
        summary: 'List tags in use',
        description: 'Every tag name applied to at least one user of the company, with the number of users carrying it.',
        response: responses({ 200: ListOf(Type.Object({ tag: Type.String(), count: Type.Integer() })) }),
      },
    },
    async (req) => ({ data: await users.tagCounts(callerOf(req)), next_cursor: null }),
  );
}
