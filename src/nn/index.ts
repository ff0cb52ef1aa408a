/** Layers (parameter-owning graph fragments) and PyTorch-default initialisers. */
export { linear, linearSum, conv2d, convTranspose2d, type LayerOptions, type ConvLayerOptions } from './layers.js';
export { kaimingUniform, biasUniform, uniformInit, defaultBound } from './init.js';
