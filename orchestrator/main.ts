/**
 * The orchestrator process: `node dist/orchestrator/main.js --orchestrator.student HOST:PORT
 * --orchestrator.teacher HOST:PORT [--orchestrator.runsRoot DIR] [--auth.token T] ...`
 * (--help lists every setting with its SFDA_* environment variable). Prints one JSON
 * "listening" line on stdout when ready; SIGTERM shuts it down cleanly (runs keep running on
 * the student; the next start re-attaches to them).
 */
import { orchestratorService } from '../lib/services/orchestrator/process.js';
import { serviceMain } from '../lib/services/process/service-main.js';

serviceMain(orchestratorService());
