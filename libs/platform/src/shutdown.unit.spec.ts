import { stopOnSignals } from './shutdown';

describe('stopOnSignals', () => {
  let exit: jest.SpyInstance;
  let printed: jest.SpyInstance;

  beforeEach(() => {
    exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    exit.mockRestore();
    printed.mockRestore();
  });

  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('stops once on the first signal, then exits 0', async () => {
    const stop = jest.fn(async () => undefined);
    stopOnSignals(stop);
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    await settle();
    expect(stop).toHaveBeenCalledTimes(1);
    expect(stop).toHaveBeenCalledWith('SIGTERM');
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('exits 1 and prints the error when stopping fails', async () => {
    const failure = new Error('the database went away');
    stopOnSignals(async () => {
      throw failure;
    });
    process.emit('SIGINT', 'SIGINT');
    await settle();
    expect(printed).toHaveBeenCalledWith(failure);
    expect(exit).toHaveBeenCalledWith(1);
  });
});
