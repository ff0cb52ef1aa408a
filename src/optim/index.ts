/** Optimisers as graph nodes. */
export { adam, adamw, type AdamOptions } from './adam.js';
export { sgd, type SgdOptions } from './sgd.js';
export { stepCounter, STEP_STATE } from './step-counter.js';
