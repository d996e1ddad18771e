import { ExportArgsError, parseExportArgs } from './export-args';

describe('finance:export arguments', () => {
  it('reads --from, --to and an optional --currency, as "--flag value" or "--flag=value"', () => {
    expect(parseExportArgs(['--from', '2033-01-01', '--to=2033-01-31'])).toEqual({ from: '2033-01-01', to: '2033-01-31' });
    expect(parseExportArgs(['--to', '2033-01-01', '--from', '2033-01-01', '--currency', 'EUR'])).toEqual({ from: '2033-01-01', to: '2033-01-01', currency: 'EUR' });
  });

  it.each([
    [[], /--from/],
    [['--from', '2033-01-01'], /--to/],
    [['--from', '2033-02-30', '--to', '2033-03-01'], /calendar day/],
    [['--from', '2033-1-1', '--to', '2033-03-01'], /calendar day/],
    [['--from', '2033-03-02', '--to', '2033-03-01'], /before/],
    [['--from', '2000-01-01', '--to', '2033-03-01'], /at most/],
    [['--from', '2033-01-01', '--to', '2033-03-01', '--currency', 'usd'], /ISO 4217/],
    [['--from', '2033-01-01', '--to', '2033-03-01', '--until', 'x'], /unknown argument/],
    [['--from', '2033-01-01', '--from', '2033-01-02', '--to', '2033-03-01'], /twice/],
    [['--from'], /needs a value/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseExportArgs(argv)).toThrow(ExportArgsError);
    expect(() => parseExportArgs(argv)).toThrow(message);
  });
});
