import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperatorProcess } from './operator-process.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-operator-process-'));

/** A stand-in for dist/cli/main.js that logs as the operator does; `body` runs after the first lines. */
function fakeMain(name: string, body: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(
    file,
    `const log = (o) => console.log(JSON.stringify({ level: 30, ...o }));
log({ args: process.argv.slice(2), node: process.execArgv, logLevel: process.env.FERRY_LOG_LEVEL ?? null, msg: 'booting' });
${body}
`,
  );
  return file;
}

const started = `
log({ probePort: 4321, msg: 'serving /healthz, /readyz, /metrics' });
setTimeout(() => { log({ msg: 'operator started' }); console.error(JSON.stringify({ level: 50, msg: 'boom' })); }, 100);
process.once('SIGTERM', () => { log({ msg: 'shutting down' }); setTimeout(() => process.exit(0), 50); });
setInterval(() => {}, 1000);
`;

afterAll(async () => {
  await OperatorProcess.killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('OperatorProcess', () => {
  it('passes the arguments, waits for the started line, reads the probe port and stops on SIGTERM', async () => {
    const seen: string[] = [];
    const logFile = join(dir, 'tee.log');
    const operator = await OperatorProcess.start({
      kubeconfig: '/k/config',
      args: ['--resync', '2'],
      logLevel: 'debug',
      main: fakeMain('ok', started),
      onLine: (line) => seen.push(line),
      logFile,
    });
    expect(operator.startedAt).toBeGreaterThan(operator.spawnedAt);
    expect(operator.probePort).toBe(4321);
    expect(JSON.parse(operator.logs[0]!)).toMatchObject({
      args: ['operator', '--kubeconfig', '/k/config', '--probe-address', '127.0.0.1:0', '--resync', '2'],
      // the image's Node flags, as it ships
      node: ['--optimize-for-size'],
      logLevel: 'debug',
    });
    expect(await operator.stop()).toBe(0);
    expect(operator.logs.at(-1)).toContain('shutting down');
    expect(operator.errors()).toEqual([expect.stringContaining('boom')]);
    expect(seen).toEqual(operator.logs);
    expect(readFileSync(logFile, 'utf8').trim().split('\n')).toEqual(operator.logs);
  });

  it('kills an operator that does not start in time, and reports one that exits', async () => {
    const silent = fakeMain('silent', 'setInterval(() => {}, 1000);');
    await expect(OperatorProcess.start({ kubeconfig: 'k', main: silent, timeoutMs: 500 })).rejects.toThrow(
      /did not start in 500 ms/,
    );
    expect(await OperatorProcess.killAll()).toBe(0);
    const failing = fakeMain('failing', `log({ msg: 'no kubeconfig' }); process.exit(3);`);
    await expect(OperatorProcess.start({ kubeconfig: 'k', main: failing })).rejects.toThrow(
      /operator exited 3[\s\S]*no kubeconfig/,
    );
  });

  it('SIGKILLs an operator that ignores SIGTERM past the timeout; killAll ends the rest', async () => {
    const stubborn = fakeMain(
      'stubborn',
      `${started.replace(/process.once[^\n]*/, "process.on('SIGTERM', () => {});")}`,
    );
    const first = await OperatorProcess.start({ kubeconfig: 'k', main: stubborn });
    const t0 = performance.now();
    expect(await first.stop({ timeoutMs: 300 })).toBeNull();
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    const second = await OperatorProcess.start({ kubeconfig: 'k', main: stubborn });
    expect(await OperatorProcess.killAll()).toBe(1);
    expect(second.child.signalCode).toBe('SIGKILL');
  });

  it('detached: follows the log file the output goes to', async () => {
    const logFile = join(dir, 'detached.log');
    const operator = await OperatorProcess.start({
      kubeconfig: 'k',
      main: fakeMain('detached', started),
      logFile,
      detached: true,
    });
    expect(operator.probePort).toBe(4321);
    expect(readFileSync(logFile, 'utf8')).toContain('operator started');
    operator.detach();
    expect(await operator.stop()).toBe(0);
  });
});
