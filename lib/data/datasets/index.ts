/** Dataset readers: Cityscapes, GTA5, SYNTHIA-RAND-CITYSCAPES, NTHU cross-city, CamVid. */
export type { UnlabelledDataset, LabelledDataset, TrainIdLabel, LabelledSample } from './types.js';
export { openDataset, openLabelledDataset, openUnlabelledDataset } from './registry.js';
export { resolveSpec, registerDatasetLayout, datasetKinds, getLayout } from './spec.js';
export type { DatasetSpec, ResolvedSpec } from './spec.js';
export type { DatasetLayout, FileEntry, LayoutOptions, ScanResult } from './layout.js';
export { DatasetError, describeProblem } from './problems.js';
export type { DatasetProblem } from './problems.js';
export { PROTOCOLS, PROTOCOL_IDS, IGNORE_INDEX, getProtocol, isProtocolId, classSubsetIndices } from './protocols.js';
export type { ClassProtocol, ProtocolId } from './protocols.js';
export { buildIdMap, applyIdMap } from './id-map.js';
export type { IdMap, OutOfTableCounts } from './id-map.js';
export { cityscapesIdMap, synthiaIdMap, camvidIdMap } from './mappings.js';
export { CITYSCAPES_LABELS, CITYSCAPES_19_CLASSES } from './tables/cityscapes.js';
export { SYNTHIA_CLASSES } from './tables/synthia.js';
export { CAMVID_CLASSES, CAMVID_VOID } from './tables/camvid.js';
export { NTHU_CITIES } from './layouts/nthu.js';
