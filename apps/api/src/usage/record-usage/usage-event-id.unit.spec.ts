import fc from 'fast-check';
import { deterministicUuid } from '@accrual/platform';
import { usageEventId } from './record-usage.command';

describe('usageEventId', () => {
  it('is the deterministic UUID of `usage:<id>`, so events stored before keep being recognized', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), (usageId) => {
        expect(usageEventId(usageId)).toBe(deterministicUuid(`usage:${usageId}`));
      }),
      { numRuns: 2000 },
    );
  });

  it('is a version-5 UUID with the RFC 4122 variant', () => {
    expect(usageEventId('u-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
