/**
 * SYNTHIA-RAND-CITYSCAPES class ids, as stored in channel 0 of the 16-bit GT/LABELS/*.png
 * files (dataset README). `cityscapes` names the Cityscapes class each one is evaluated as,
 * or null for classes that have no Cityscapes counterpart in the benchmark protocols.
 * The 16- and 13-class protocols of the SYNTHIA→Cityscapes benchmark follow from these names.
 */
export interface SynthiaClass {
  readonly id: number;
  readonly name: string;
  readonly cityscapes: string | null;
}

export const SYNTHIA_CLASSES: readonly SynthiaClass[] = [
  { id: 0, name: 'void', cityscapes: null },
  { id: 1, name: 'sky', cityscapes: 'sky' },
  { id: 2, name: 'building', cityscapes: 'building' },
  { id: 3, name: 'road', cityscapes: 'road' },
  { id: 4, name: 'sidewalk', cityscapes: 'sidewalk' },
  { id: 5, name: 'fence', cityscapes: 'fence' },
  { id: 6, name: 'vegetation', cityscapes: 'vegetation' },
  { id: 7, name: 'pole', cityscapes: 'pole' },
  { id: 8, name: 'car', cityscapes: 'car' },
  { id: 9, name: 'traffic sign', cityscapes: 'traffic sign' },
  { id: 10, name: 'pedestrian', cityscapes: 'person' },
  { id: 11, name: 'bicycle', cityscapes: 'bicycle' },
  { id: 12, name: 'motorcycle', cityscapes: 'motorcycle' },
  { id: 13, name: 'parking-slot', cityscapes: null },
  { id: 14, name: 'road-work', cityscapes: null },
  { id: 15, name: 'traffic light', cityscapes: 'traffic light' },
  { id: 16, name: 'terrain', cityscapes: 'terrain' },
  { id: 17, name: 'rider', cityscapes: 'rider' },
  { id: 18, name: 'truck', cityscapes: 'truck' },
  { id: 19, name: 'bus', cityscapes: 'bus' },
  { id: 20, name: 'train', cityscapes: 'train' },
  { id: 21, name: 'wall', cityscapes: 'wall' },
  { id: 22, name: 'lanemarking', cityscapes: null },
];
