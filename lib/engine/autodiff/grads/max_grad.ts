/**
 * Max (element-wise, variadic): each input gets dY where it equals the maximum; ties share it
 * evenly (PyTorch's maximum gives dY/2 to each of two equal inputs):
 * m_i = (X_i == Y), dX_i = unbroadcast(dY · m_i / Σ_j m_j).
 */
import { registerGrad } from '../registry.js';
import { minMaxGrad } from '../minmax-grad.js';

registerGrad('Max', minMaxGrad);
