/**
 * The agent's routes in one table, read by both the agent's server (fastify route schemas)
 * and the client, so that a path, method or schema can never differ between the two.
 */
import type { TSchema } from '@sinclair/typebox';
import {
  FailoverRequestSchema,
  FailoverResponseSchema,
  HealthResponseSchema,
  IdentityResponseSchema,
  MetricsResponseSchema,
  PeerStatusRequestSchema,
  PeerStatusResponseSchema,
  RoleCheckResponseSchema,
  ShutdownRequestSchema,
  ShutdownResponseSchema,
  StatusRequestSchema,
  StatusResponseSchema,
  WatchRequestSchema,
  WatchResponseSchema,
} from './agent-api';

/** One route: methods (the first is the one clients use), path, schemas, and whether it is signed. */
export interface AgentRoute {
  readonly methods: readonly ('GET' | 'POST')[];
  readonly path: string;
  /** Schema of the JSON body; absent for routes without a body. */
  readonly body?: TSchema;
  readonly response: TSchema;
  /** Whether the request must carry the HMAC header. Only `GET /health`, `/active`, `/passive` and `/metrics` are open. */
  readonly auth: boolean;
}

/** The agent API v1. */
export const AGENT_ROUTES = {
  status: {
    methods: ['POST', 'GET'],
    path: '/status',
    body: StatusRequestSchema,
    response: StatusResponseSchema,
    auth: true,
  },
  watch: {
    methods: ['POST'],
    path: '/watch',
    body: WatchRequestSchema,
    response: WatchResponseSchema,
    auth: true,
  },
  peerStatus: {
    methods: ['POST'],
    path: '/peer-status',
    body: PeerStatusRequestSchema,
    response: PeerStatusResponseSchema,
    auth: true,
  },
  failover: {
    methods: ['POST'],
    path: '/failover',
    body: FailoverRequestSchema,
    response: FailoverResponseSchema,
    auth: true,
  },
  shutdown: {
    methods: ['POST'],
    path: '/shutdown',
    body: ShutdownRequestSchema,
    response: ShutdownResponseSchema,
    auth: true,
  },
  identity: { methods: ['GET'], path: '/identity', response: IdentityResponseSchema, auth: true },
  health: { methods: ['GET'], path: '/health', response: HealthResponseSchema, auth: false },
  active: { methods: ['GET'], path: '/active', response: RoleCheckResponseSchema, auth: false },
  passive: { methods: ['GET'], path: '/passive', response: RoleCheckResponseSchema, auth: false },
  metrics: { methods: ['GET'], path: '/metrics', response: MetricsResponseSchema, auth: false },
} as const satisfies Record<string, AgentRoute>;

/** Name of an agent route (`status`, `peerStatus`, ...). */
export type AgentRouteName = keyof typeof AGENT_ROUTES;
