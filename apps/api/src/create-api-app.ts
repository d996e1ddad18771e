import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DestinationStream } from 'pino';
import { Runtime } from '@accrual/platform';
import { ApiModule } from './api.module';
import { bodyParserErrorHandler, jsonBodyParser, refuseUnstorableText } from './http/body-parsing';
import { correlation } from './http/correlation';
import { countAppends } from './operations/counting-event-store';
import { Metrics } from './operations/metrics';
import { createLogger, observeRequests } from './operations/request-log';

export interface ApiAppOptions {
  /** Nest's own start-up and error messages. */
  logger?: LogLevel[] | false;
  /** Where the request log goes; default stdout (tests capture it). */
  logDestination?: DestinationStream;
}

/** Builds (does not start) the HTTP API on a runtime; `main.ts`, the all-in-one app and tests use it. */
export async function createApiApp(runtime: Runtime, options: ApiAppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRuntime(runtime), {
    bodyParser: false,
    logger: options.logger ?? ['error', 'warn'],
  });
  const metrics = app.get(Metrics);
  // Handlers read `runtime.eventStore` on every call, so from here on appends are counted.
  runtime.eventStore = countAppends(runtime.eventStore, metrics);
  app.disable('x-powered-by');
  app.set('etag', false);
  // Order matters: ids first (echoed even on refusals), then the request log, then the body.
  app.use(correlation);
  app.use(observeRequests(createLogger(runtime.config.logLevel, options.logDestination), metrics));
  app.use(jsonBodyParser(runtime.config.bodyLimitBytes));
  app.use(bodyParserErrorHandler);
  app.use(refuseUnstorableText);
  // No `enableShutdownHooks()`: each app's main stops on signals itself (`stopOnSignals`), closing
  // the app then the runtime; Nest's hooks would re-raise the signal and cut that stop short.
  return app;
}

