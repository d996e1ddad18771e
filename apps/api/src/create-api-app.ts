import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Runtime } from '@accrual/platform';
import { ApiModule } from './api.module';
import { bodyParserErrorHandler, jsonBodyParser } from './http/body-parsing';

export interface ApiAppOptions {
  logger?: LogLevel[] | false;
}

/** Builds (does not start) the HTTP API on a runtime; `main.ts`, the all-in-one app and tests use it. */
export async function createApiApp(runtime: Runtime, options: ApiAppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRuntime(runtime), {
    bodyParser: false,
    logger: options.logger ?? ['error', 'warn'],
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(jsonBodyParser(runtime.config.bodyLimitBytes));
  app.use(bodyParserErrorHandler);
  app.enableShutdownHooks();
  return app;
}
