/**
 * @failover/protocol/server: the fastify side of the protocol, apart from the main entry so
 * that a user of only the schemas or the typed client never loads fastify.
 */
export { SIGNED_JSON_BODY_LIMIT, signedJsonPlugin } from './signed-json-plugin';
export type { OpenRoute, SignedJsonAuth, SignedJsonPluginOptions, VerifiedAuth } from './signed-json-plugin';
