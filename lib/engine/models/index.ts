/** Segmentation models built with the GraphBuilder (PyTorch-named initializers). */
export * from './spec.js';
export * from './params.js';
export { buildDeepLab, createDeepLab, type BuildOptions, type SegModel } from './deeplab.js';
export { buildMetricHead, type MetricHead } from './metric-head.js';
export { resnetBackbone, stagePlan } from './resnet.js';
export { buildMobileNetV2DeepLab, mobileNetV2Encoder, mobileNetV2Plan, makeDivisible, type MobileNetV2Block } from './mobilenetv2.js';
