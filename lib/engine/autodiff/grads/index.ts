/** Registers every gradient rule (side-effect imports, one file per op). */
import './add_grad.js';
import './reducesum_grad.js';
import './mul_grad.js';
import './sum_grad.js';
