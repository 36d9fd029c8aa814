/**
 * The raw-id → train-id tables of each dataset, derived from the class tables by class NAME,
 * so that every protocol is the same list of names whatever the dataset:
 * - Cityscapes, GTA5 and NTHU cross-city labels store Cityscapes labelIds;
 * - SYNTHIA stores its own ids (channel 0 of a 16-bit PNG);
 * - CamVid stores the class index, 255 = void.
 */
import { buildIdMap, type IdMap } from './id-map.js';
import { getProtocol, type ProtocolId } from './protocols.js';
import { CAMVID_CLASSES, CAMVID_VOID } from './tables/camvid.js';
import { CITYSCAPES_LABELS } from './tables/cityscapes.js';
import { SYNTHIA_CLASSES } from './tables/synthia.js';

const cache = new Map<string, IdMap>();

function cached(key: string, make: () => IdMap): IdMap {
  let m = cache.get(key);
  if (!m) {
    m = make();
    cache.set(key, m);
  }
  return m;
}

/** Cityscapes labelId (0..33) → train id of a Cityscapes-class protocol (19/16/13). */
export function cityscapesIdMap(protocol: ProtocolId): IdMap {
  return cached(`cityscapes:${protocol}`, () => {
    const p = getProtocol(protocol);
    if (p.id === 'camvid11') throw new Error('Cityscapes labelIds cannot be mapped to camvid11');
    const toTrain = new Map<number, number>();
    const ignored: number[] = [];
    for (const l of CITYSCAPES_LABELS) {
      if (l.id < 0) continue;
      const t = l.ignoreInEval ? -1 : p.classes.indexOf(l.name);
      if (t >= 0) toTrain.set(l.id, t);
      else ignored.push(l.id);
    }
    return buildIdMap(`cityscapes labelId → ${protocol}`, 256, toTrain, ignored);
  });
}

/** SYNTHIA id (channel 0 of GT/LABELS, 0..22) → train id of a Cityscapes-class protocol. */
export function synthiaIdMap(protocol: ProtocolId): IdMap {
  return cached(`synthia:${protocol}`, () => {
    const p = getProtocol(protocol);
    if (p.id === 'camvid11') throw new Error('SYNTHIA ids cannot be mapped to camvid11');
    const toTrain = new Map<number, number>();
    const ignored: number[] = [];
    for (const c of SYNTHIA_CLASSES) {
      const t = c.cityscapes === null ? -1 : p.classes.indexOf(c.cityscapes);
      if (t >= 0) toTrain.set(c.id, t);
      else ignored.push(c.id);
    }
    return buildIdMap(`synthia id → ${protocol}`, 65536, toTrain, ignored);
  });
}

/** CamVid value (0..10, 255 void) → camvid11 train id. */
export function camvidIdMap(): IdMap {
  return cached('camvid', () => {
    const toTrain = new Map(CAMVID_CLASSES.map((c) => [c.id, c.id] as [number, number]));
    return buildIdMap('camvid value → camvid11', 256, toTrain, [CAMVID_VOID]);
  });
}
