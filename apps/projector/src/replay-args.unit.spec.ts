import { parseReplayArgs, ReplayArgsError } from './replay-args';

describe('replay arguments', () => {
  it('takes a schema and an optional RFC 3339 instant, as --flag value or --flag=value', () => {
    expect(parseReplayArgs(['--schema', 'audit_q1'])).toEqual({ schema: 'audit_q1' });
    expect(parseReplayArgs(['--until', '2026-04-01T00:00:00Z', '--schema=audit_q1'])).toEqual({
      schema: 'audit_q1',
      until: new Date('2026-04-01T00:00:00Z'),
    });
    expect(parseReplayArgs(['--schema', 'a', '--until=2026-04-01T02:00:00.5+02:00']).until).toEqual(new Date('2026-04-01T00:00:00.500Z'));
  });

  it.each([
    [[], '--schema <name> is required'],
    [['--schema'], '--schema needs a value'],
    [['--schema', 'read_models'], 'live or reserved'],
    [['--schema', 'public'], 'live or reserved'],
    [['--schema', 'Audit-1'], 'schema name must match'],
    [['--schema', 'a', '--until', '2026-04-01'], 'RFC 3339'],
    [['--schema', 'a', '--until', '2026-02-30T00:00:00'], 'RFC 3339'],
    [['--schema', 'a', '--until', 'yesterday'], 'RFC 3339'],
    [['--schema', 'a', '--schema', 'b'], 'given twice'],
    [['--schema', 'a', '--from', 'x'], 'unknown argument --from'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseReplayArgs(argv)).toThrow(ReplayArgsError);
    expect(() => parseReplayArgs(argv)).toThrow(message);
  });
});
