/**
 * Stops a process once, on the first SIGINT or SIGTERM: runs `stop` (a second signal while it
 * runs changes nothing), then exits 0, or 1 with the error printed if stopping failed. Every app
 * (all-in-one, projector, relay, usage ingest) ends this way.
 */
export function stopOnSignals(stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    stopping ??= stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
