/** Min (element-wise, variadic): as Max, with the minimum (ties share dY evenly). */
import { registerGrad } from '../registry.js';
import { minMaxGrad } from '../minmax-grad.js';

registerGrad('Min', minMaxGrad);
