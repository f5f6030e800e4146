import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { CONTROL_PATHS } from '@failover/protocol';

/** Options of {@link buildMetricsServer}. */
export interface MetricsServerOptions {
  readonly registry: Registry;
  /** fastify's logger; the notifier's logger in production. @default no logging */
  readonly loggerInstance?: FastifyBaseLogger;
}

/**
 * A server with `GET /metrics` and nothing else, for `metrics_listen`: Prometheus on another host
 * scrapes it while the control API, which switches the identity, stays on loopback.
 */
export async function buildMetricsServer(options: MetricsServerOptions): Promise<FastifyInstance> {
  const { registry } = options;
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: false }),
    // Every scrape would be a line: only errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    // A scrape carries no body; anything larger than a request line is not one.
    bodyLimit: 1024,
  });
  app.get(CONTROL_PATHS.metrics, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('text/plain')
      .send(`only GET ${CONTROL_PATHS.metrics} is served here, not ${request.method} ${request.url}\n`),
  );
  await app.ready();
  return app;
}
