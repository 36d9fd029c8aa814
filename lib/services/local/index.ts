/** The local stack (nats-server + teacher, student, orchestrator processes) and its stack.json. */
export * from './nats.js';
export * from './stack.js';
export * from './stack-file.js';
