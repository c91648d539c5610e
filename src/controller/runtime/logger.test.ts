import { Writable } from 'node:stream';
import { pino } from 'pino';
import { REDACTED_PATHS } from './logger.js';

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
