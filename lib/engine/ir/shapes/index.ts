/** Registers every op's shape inference (side-effect imports). */
import './elementwise.js';
import './reduce.js';
import './tensor-ops.js';
import './misc.js';
import './nn-pool.js';
import './nn-linear.js';
