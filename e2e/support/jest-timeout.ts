/**
 * Jest reads `testTimeout` only from the top-level config, not from a project's, so the
 * e2e and real projects set their default here (setupFilesAfterEnv). Steps that run a tool
 * (helm, kubectl) take seconds on a busy 2-core machine: the 5 s default would fail them for
 * being slow, not wrong. Long tests still set their own timeout.
 */
import { jest } from '@jest/globals';

jest.setTimeout(60_000);
