import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Request } from 'express';
import { ApiKey, Role, Runtime, RUNTIME } from '@accrual/platform';
import { Access, ACCESS_KEY, ROLES_BY_ACCESS } from './access';
import { problem, ProblemException } from './problem';
import { RateLimiter } from './rate-limit';

export interface Caller {
  name: string;
  role: Role;
}

/** Set by the `correlation` middleware (ids, arrival) and by this guard (caller). */
export interface AccrualRequest extends Request {
  caller?: Caller;
  correlationId?: string;
  requestId?: string;
  /** `process.hrtime.bigint()` on arrival, for the request log's duration. */
  receivedAtNs?: bigint;
}

/**
 * Authenticates `Authorization: Bearer <key>` and checks the route's access against the key's
 * role. Secrets are compared as SHA-256 digests in constant time, against every configured key,
 * so timing tells nothing about which key nearly matched. Then the key's rate limit, when one is
 * configured (429 with `Retry-After`).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly keys: Array<{ key: ApiKey; digest: Buffer }>;
  private readonly rateLimiter: RateLimiter | null;

  constructor(
    private readonly reflector: Reflector,
    @Inject(RUNTIME) runtime: Runtime,
  ) {
    this.keys = runtime.config.apiKeys.map((key) => ({ key, digest: digest(key.secret) }));
    this.rateLimiter = runtime.config.rateLimit ? new RateLimiter(runtime.config.rateLimit, runtime.clock) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AccrualRequest>();
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]);
    if (access === 'public') return true;
    const caller = this.authenticate(request);
    request.caller = caller;
    this.applyRateLimit(caller);
    if (!access || !ROLES_BY_ACCESS[access].includes(caller.role)) {
      throw new ProblemException(problem(403, 'forbidden', `the role ${caller.role} may not do this`));
    }
    return true;
  }

  private applyRateLimit(caller: Caller): void {
    const decision = this.rateLimiter?.take(caller.name);
    if (!decision || decision.allowed) return;
    throw new ProblemException(problem(429, 'rate-limited', `the key ${caller.name} sent more requests than its rate limit allows`), {
      'Retry-After': String(decision.retryAfterSeconds),
    });
  }

  private authenticate(request: Request): Caller {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw new ProblemException(problem(401, 'unauthorized', 'send an API key as Authorization: Bearer <key>'), {
        'WWW-Authenticate': 'Bearer',
      });
    }
    const presented = digest(match[1]);
    let found: ApiKey | null = null;
    for (const candidate of this.keys) {
      if (timingSafeEqual(candidate.digest, presented)) found = candidate.key;
    }
    if (!found) {
      throw new ProblemException(problem(401, 'unauthorized', 'the API key is not known'), { 'WWW-Authenticate': 'Bearer' });
    }
    return { name: found.name, role: found.role };
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
