import { logCreator, LogEntry, logLevel } from 'kafkajs';

export type RelayLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where the relay (and kafkajs, through `kafkaLogCreator`) reports. */
export type RelayLog = (level: RelayLogLevel, message: string, fields?: Record<string, unknown>) => void;

/** One JSON object per line: info to stdout, warnings and errors to stderr. */
export const jsonLineLog: RelayLog = (level, message, fields = {}) => {
  const line = JSON.stringify({ level, msg: message, time: new Date().toISOString(), ...fields }, jsonSafe);
  (level === 'warn' || level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
};

/** A log that drops everything (tests that collect nothing). */
export const silentLog: RelayLog = () => undefined;

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

const LEVEL_NAMES: Readonly<Record<number, RelayLogLevel>> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs warns about this once per producer because the relay bounds the producer's retries on
 * purpose: a send that keeps failing must come back to the relay's own loop (which re-sends the
 * batch with a fresh producer and never skips it), so that `stop()` and the lag figure keep
 * working. Delivery is at least once by contract; consumers drop repeats by the event id.
 */
const EXPECTED_WARNINGS: readonly string[] = ['Limiting retries for the idempotent producer may invalidate EoS guarantees'];

/** Routes kafkajs's own log lines (at the level kafkajs is given) into a `RelayLog`. */
export function kafkaLogCreator(log: RelayLog): logCreator {
  return () => (entry: LogEntry) => {
    // kafkajs adds its own timestamp and, for errors, a stack: one line per entry is enough.
    const { message, timestamp: _timestamp, stack: _stack, ...extra } = entry.log;
    if (entry.level === logLevel.WARN && EXPECTED_WARNINGS.includes(message)) return;
    log(LEVEL_NAMES[entry.level] ?? 'info', `kafkajs: ${message}`, { namespace: entry.namespace, ...extra });
  };
}
