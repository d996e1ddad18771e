import { assertReplaySchema } from '@accrual/read-models';

export interface ReplayArgs {
  schema: string;
  /** Undefined: to now (everything in the log). */
  until?: Date;
}

export class ReplayArgsError extends Error {}

export const REPLAY_USAGE = 'usage: npm run replay -- --schema <name> [--until <RFC 3339 instant, e.g. 2026-03-01T00:00:00Z>]';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** `--schema <name>` (required) and `--until <instant>` (optional), as `--flag value` or `--flag=value`. */
export function parseReplayArgs(argv: readonly string[]): ReplayArgs {
  const values = flagValues(argv);
  const schema = values.get('schema');
  if (schema === undefined) throw new ReplayArgsError('--schema <name> is required');
  try {
    assertReplaySchema(schema);
  } catch (error) {
    throw new ReplayArgsError((error as Error).message);
  }
  const untilText = values.get('until');
  if (untilText === undefined) return { schema };
  const until = new Date(untilText);
  if (!RFC3339.test(untilText) || Number.isNaN(until.getTime())) {
    throw new ReplayArgsError(`--until must be an RFC 3339 instant with an offset (2026-03-01T00:00:00Z), got ${untilText}`);
  }
  return { schema, until };
}

function flagValues(argv: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let index = 0; index < argv.length; index += 1) {
    const match = /^--(schema|until)(?:=(.*))?$/.exec(argv[index]);
    if (!match) throw new ReplayArgsError(`unknown argument ${argv[index]}`);
    const value = match[2] ?? argv[++index];
    if (value === undefined || value === '') throw new ReplayArgsError(`--${match[1]} needs a value`);
    if (values.has(match[1])) throw new ReplayArgsError(`--${match[1]} given twice`);
    values.set(match[1], value);
  }
  return values;
}
