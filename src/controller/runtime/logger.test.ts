import { Writable } from 'node:stream';
import { pino } from 'pino';
import { REDACTED_PATHS, createLogger } from './logger.js';

/** A pino logger configured as createLogger's, writing JSON lines into an array. */
function capture(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    log: pino({ level: 'debug', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink),
    lines,
  };
}

describe('log redaction', () => {
  it('censors parameter values, Secret data and credentials wherever the redacted paths name them', () => {
    const { log, lines } = capture();
    const secret = 'hunter2-do-not-log';
    log.info({ value: secret }, 'top-level value');
    log.info({ parameter: { name: 'DB_PASSWORD', value: secret } }, 'nested value');
    log.info({ spec: { parameters: [{ name: 'DB_PASSWORD', value: secret }] } }, 'install spec');
    log.info(
      { secret: { data: { k: Buffer.from(secret).toString('base64') }, stringData: { k: secret } } },
      'a Secret',
    );
    log.info({ headers: { authorization: `Bearer ${secret}` }, token: secret }, 'credentials');
    const text = lines.join('');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(Buffer.from(secret).toString('base64'));
    expect(text.match(/\[redacted\]/g)).toHaveLength(7);
    // what is not secret stays readable
    expect(text).toContain('"name":"DB_PASSWORD"');
  });
});

describe('createLogger', () => {
  it('keeps the stack and the cause chain of a logged error', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const log = createLogger('info', sink);
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:6443');
    log.warn({ err: new Error('listing AppInstalls failed', { cause }) }, 'watch error; reconnecting');
    const line = JSON.parse(lines[0]!) as { err: { message: string; stack: string; type: string } };
    expect(line.err.type).toBe('Error');
    expect(line.err.message).toBe('listing AppInstalls failed: connect ECONNREFUSED 127.0.0.1:6443');
    expect(line.err.stack).toMatch(
      /listing AppInstalls failed\n\s+at .*logger\.test\.ts[\s\S]*caused by: Error: connect ECONNREFUSED/,
    );
  });
});
