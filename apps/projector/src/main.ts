import 'reflect-metadata';
import { closeRuntime, createRuntime, loadConfig } from '@accrual/platform';

/** The projector alone (production topology): applies the log to the read models. */
async function main(): Promise<void> {
  const config = loadConfig();
  const runtime = await createRuntime(config, { withProjector: true, applicationName: 'accrual-projector' });
  await runtime.projector?.start();
  console.log(JSON.stringify({ level: 'info', msg: 'accrual projector running', checkpoint: runtime.projector?.checkpoint.toString() }));
  const stop = async () => {
    await closeRuntime(runtime);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
