import { waitForCheckpoint } from '@accrual/read-models';
import { Runtime } from '@accrual/platform';
import { problem, ProblemException } from '../http/problem';

export const READ_MODEL_WAIT_MS = 10_000;

/** Waits until the read models have applied `position`; 503 when they do not within the bound. */
export async function waitForReadModels(runtime: Runtime, position: bigint, timeoutMs = READ_MODEL_WAIT_MS): Promise<void> {
  const reached = runtime.projector
    ? await runtime.projector.waitFor(position, timeoutMs)
    : await waitForCheckpoint(runtime.sql, position, timeoutMs);
  if (!reached) {
    throw new ProblemException(problem(503, 'read-model-behind', `the read models have not reached position ${position} yet`), {
      'Retry-After': '1',
    });
  }
}
