import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../platform.ts';

/** Members management (owners): see the members page module. */
export function memberPages(_c: FastifyInstance, _platform: Platform) {}
