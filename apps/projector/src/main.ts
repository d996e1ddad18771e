import 'reflect-metadata';
import { closeRuntime, createRuntime, loadConfig, stopOnSignals } from '@accrual/platform';
import { sealIntervalMsFrom, startPeriodicSeals } from '@accrual/event-store';

/** The projector alone (production topology): applies the log to the read models. */
async function main(): Promise<void> {
  const config = loadConfig();
  const runtime = await createRuntime(config, { withProjector: true, applicationName: 'accrual-projector' });
  await runtime.projector?.start();
  // Seals bind every stream's head to a log position (tamper evidence, docs/event-store.md).
  const seals = startPeriodicSeals(runtime.eventStore, sealIntervalMsFrom(process.env));
  console.log(JSON.stringify({ level: 'info', msg: 'accrual projector running', checkpoint: runtime.projector?.checkpoint.toString() }));
  stopOnSignals(async () => {
    await seals.stop();
    await closeRuntime(runtime);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
