import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { Response } from 'express';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';

/** Every error leaves as application/problem+json. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { problem, headers } = toProblem(error);
    // Only the unexpected is logged with its stack; refusals are in the request log already.
    if (problem.type === 'internal-error') this.logger.error(error instanceof Error ? error.stack : String(error));
    if (response.headersSent) return;
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }
}
