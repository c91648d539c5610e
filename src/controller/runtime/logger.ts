import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { printable } from '../../model/printable.js';

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

export function createLogger(
  level = process.env.FERRY_LOG_LEVEL ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base: { component: 'ferry-operator' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // JSON escapes C0 controls; message strings can also hold C1 controls and bidi overrides
    // from template content, which log viewers would act on
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((a: unknown) =>
            typeof a === 'string' ? printable(a, { keepLines: true }) : a,
          ) as Parameters<typeof method>,
        );
      },
    },
  } satisfies pino.LoggerOptions;
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
