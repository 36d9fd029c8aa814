/**
 * Prediction export in the Cityscapes result format: an 8-bit gray PNG per image whose values
 * are Cityscapes labelIds (not train ids), named `<city>_<seq>_<frame>.png`, which the
 * official evaluator (cityscapesscripts evalPixelLevelSemanticLabeling) matches to
 * `<city>_<seq>_<frame>_gtFine_labelIds.png`.
 */
import { join } from 'node:path';
import { writeLabelPng } from '../data/io/label.js';
import type { ClassProtocol } from '../data/datasets/protocols.js';
import { cityscapesLabelByName } from '../data/datasets/tables/cityscapes.js';
import type { TrainIdLabel } from '../data/datasets/types.js';

/** lut[trainId] = Cityscapes labelId; anything outside the protocol (e.g. 255) → 0 'unlabeled'. */
export function trainIdToLabelIdLut(protocol: ClassProtocol): Uint8Array {
  const lut = new Uint8Array(256);
  protocol.classes.forEach((name, t) => {
    lut[t] = cityscapesLabelByName(name).id;
  });
  return lut;
}

/** Maps a train-id prediction to labelIds. */
export function toCityscapesLabelIds(pred: Uint8Array, protocol: ClassProtocol): Uint8Array {
  if (protocol.id === 'camvid11') throw new Error('cityscapes export needs a Cityscapes-class protocol');
  const lut = trainIdToLabelIdLut(protocol);
  const out = new Uint8Array(pred.length);
  for (let i = 0; i < pred.length; i++) out[i] = lut[pred[i]!]!;
  return out;
}

/** Writes `<dir>/<name>.png` with labelIds; returns the path. */
export async function writeCityscapesPrediction(dir: string, name: string, pred: TrainIdLabel, protocol: ClassProtocol): Promise<string> {
  const path = join(dir, `${name}.png`);
  await writeLabelPng(path, { width: pred.width, height: pred.height, data: toCityscapesLabelIds(pred.data, protocol) });
  return path;
}
