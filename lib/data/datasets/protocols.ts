/**
 * Class protocols: the ordered class list a model predicts (index = train id), the ignore
 * value and a colour per class for visualisation.
 *
 * - cityscapes19: the 19 Cityscapes train ids (GTA5→Cityscapes, Cityscapes oracle).
 * - cityscapes16: the 16 classes shared by SYNTHIA and Cityscapes (19 minus terrain, truck,
 *   train), in Cityscapes train-id order: the SYNTHIA→Cityscapes "mIoU (16)".
 * - cityscapes13: cityscapes16 minus wall, fence, pole: SYNTHIA→Cityscapes "mIoU* (13)" and
 *   the 13 classes of NTHU cross-city (road, sidewalk, building, light, sign, vegetation, sky,
 *   person, rider, car, bus, motorcycle, bicycle).
 * - camvid11: the 11 CamVid classes (also SynthStreet's), void = 255.
 */
import { CAMVID_CLASSES } from './tables/camvid.js';
import { CITYSCAPES_19_CLASSES, cityscapesLabelByName } from './tables/cityscapes.js';

export type ProtocolId = 'cityscapes19' | 'cityscapes16' | 'cityscapes13' | 'camvid11';

export const IGNORE_INDEX = 255;

export interface ClassProtocol {
  readonly id: ProtocolId;
  /** Class names; the index of a name is its train id. */
  readonly classes: readonly string[];
  readonly numClasses: number;
  /** Label value that is ignored in training and evaluation. */
  readonly ignoreIndex: number;
  /** RGB colour per class (index = train id). */
  readonly palette: readonly (readonly [number, number, number])[];
}

const CS16_DROPPED = new Set(['terrain', 'truck', 'train']);
const CS13_DROPPED = new Set([...CS16_DROPPED, 'wall', 'fence', 'pole']);

function cityscapesProtocol(id: ProtocolId, dropped: ReadonlySet<string>): ClassProtocol {
  const classes = CITYSCAPES_19_CLASSES.filter((c) => !dropped.has(c));
  return Object.freeze({
    id,
    classes: Object.freeze(classes),
    numClasses: classes.length,
    ignoreIndex: IGNORE_INDEX,
    palette: Object.freeze(classes.map((c) => cityscapesLabelByName(c).color)),
  });
}

export const PROTOCOLS: Readonly<Record<ProtocolId, ClassProtocol>> = Object.freeze({
  cityscapes19: cityscapesProtocol('cityscapes19', new Set()),
  cityscapes16: cityscapesProtocol('cityscapes16', CS16_DROPPED),
  cityscapes13: cityscapesProtocol('cityscapes13', CS13_DROPPED),
  camvid11: Object.freeze({
    id: 'camvid11' as const,
    classes: Object.freeze(CAMVID_CLASSES.map((c) => c.name)),
    numClasses: CAMVID_CLASSES.length,
    ignoreIndex: IGNORE_INDEX,
    palette: Object.freeze(CAMVID_CLASSES.map((c) => c.color)),
  }),
});

export const PROTOCOL_IDS = Object.keys(PROTOCOLS) as ProtocolId[];

export function isProtocolId(s: string): s is ProtocolId {
  return Object.prototype.hasOwnProperty.call(PROTOCOLS, s);
}

/** The protocol with this id; the error lists the known ids. */
export function getProtocol(id: string): ClassProtocol {
  if (!isProtocolId(id)) throw new Error(`unknown class protocol '${id}' (known: ${PROTOCOL_IDS.join(', ')})`);
  return PROTOCOLS[id];
}

/**
 * Indices (in `from`) of the classes of `to`: e.g. cityscapes13 inside cityscapes16 gives the
 * 13 IoUs averaged for SYNTHIA's mIoU*. Throws if a class of `to` is missing from `from`.
 */
export function classSubsetIndices(from: ClassProtocol, to: ClassProtocol): number[] {
  return to.classes.map((c) => {
    const i = from.classes.indexOf(c);
    if (i < 0) throw new Error(`class '${c}' of ${to.id} is not in ${from.id}`);
    return i;
  });
}
