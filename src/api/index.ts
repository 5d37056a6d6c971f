/** Types of the fleet API (our CRDs) and of the Kubernetes shapes they embed. No I/O. */
export * from './meta.js';
export * from './policy.js';
export * from './override.js';
export * from './fleet.js';
export * from './conditions.js';
