import 'reflect-metadata';
import { closeRuntime, createRuntime, loadConfig, stopOnSignals } from '@accrual/platform';
import { createApiApp } from './create-api-app';

/** The API alone (production topology): the projector and relay run as their own processes. */
async function main(): Promise<void> {
  const config = loadConfig();
  const runtime = await createRuntime(config, { withProjector: false, applicationName: 'accrual-api' });
  const app = await createApiApp(runtime);
  await app.listen(config.port);
  console.log(JSON.stringify({ level: 'info', msg: 'accrual api listening', port: config.port }));
  stopOnSignals(async () => {
    await app.close();
    await closeRuntime(runtime);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
