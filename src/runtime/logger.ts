/**
 * Structured JSON logs (winston): one object per line with time, level, component and message,
 * plus whatever fields a child logger carries, e.g. the object key being reconciled.
 */
import winston from 'winston';
import { oneLine } from '../util/text.js';
import { apiErrorSummary } from './api-errors.js';

export type Logger = winston.Logger;

function jsonLogger(component: string, level: string, transport: winston.transport): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { component },
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [transport],
  });
}

export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return jsonLogger(component, level, new winston.transports.Console({ stderrLevels: [] }));
}

/** JSON lines to a file: for controllers run inside tests, whose output would drown the report. */
export function fileLogger(
  component: string,
  path: string,
  level = process.env.LOG_LEVEL ?? 'debug',
): Logger {
  return jsonLogger(component, level, new winston.transports.File({ filename: path }));
}

/** A logger that drops everything: for tests and benchmarks that do not read logs. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}

/**
 * The message of an unknown thrown value, for a log field or a condition message: one line,
 * and for an API error only its status code, reason and message (no body, no headers).
 */
export function errorMessage(err: unknown): string {
  const api = apiErrorSummary(err);
  if (api !== undefined) return api;
  if (err instanceof Error) return oneLine(err.message);
  return oneLine(typeof err === 'string' ? err : JSON.stringify(err));
}
