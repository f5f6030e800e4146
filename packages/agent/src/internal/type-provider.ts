import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyTypeProvider } from 'fastify';

/**
 * `@fastify/type-provider-typebox`'s provider, declared against the `@sinclair/typebox` that
 * `@failover/protocol` builds its schemas with. The lockfile currently installs two copies
 * (0.34.9 beside the packages, 0.34.52 hoisted for the provider); TypeBox's `Kind` symbol
 * differs between them, so the published provider types every body as `unknown`. Same
 * definition as the provider's; swap back once one copy is installed.
 */
export interface TypeBoxTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
}
