/** The stand-in service commands of the local-stack tests (local-fake-service.ts). */
import { fileURLToPath } from 'node:url';
import type { LocalStackOptions } from '../../lib/services/local/index.js';

export const FAKE_SERVICE = fileURLToPath(new URL('./local-fake-service.js', import.meta.url));

export function fakeCommands(): NonNullable<LocalStackOptions['commands']> {
  return {
    teacher: [process.execPath, FAKE_SERVICE, 'teacher'],
    student: [process.execPath, FAKE_SERVICE, 'student'],
    orchestrator: [process.execPath, FAKE_SERVICE, 'orchestrator'],
  };
}
