import { pino } from 'pino';
import type { Logger } from 'pino';

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'value',
  '*.value',
  'parameters[*].value',
  'spec.parameters[*].value',
  'data',
  '*.data',
  'stringData',
  '*.stringData',
];

export function createLogger(level = process.env.FERRY_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { component: 'ferry-operator' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export type { Logger };
