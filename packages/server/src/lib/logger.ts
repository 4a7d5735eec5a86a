import pino, { type Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log line: secrets,
 * signatures and customer contact details must never reach a log.
 */
export const REDACT_PATHS = [
  'req.headers["x-signature"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'secret',
  'secretKey',
  'secret_key',
  'masterKey',
  '*.secret',
  '*.secretKey',
  '*.secret_key',
  '*.masterKey',
  'customer',
  '*.customer',
  '*.email',
  '*.phone',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}
