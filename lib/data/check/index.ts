export { checkDataset } from './check-dataset.js';
export type { CheckOptions, CheckReport, ClassHistogram } from './check-dataset.js';
export { formatCheckReport, checkReportToJson } from './format.js';
