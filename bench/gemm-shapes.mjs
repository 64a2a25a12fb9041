// The four Linear shapes of a ViT-B/16-384 block at batch 1 (577 tokens), with the model's epilogues.
export const LINEAR_SHAPES = [
  { name: 'qkv', rows: 577, outDim: 2304, inDim: 768 },
  { name: 'proj', rows: 577, outDim: 768, inDim: 768 },
  { name: 'fc1', rows: 577, outDim: 3072, inDim: 768, gelu: true },
  { name: 'fc2', rows: 577, outDim: 768, inDim: 3072, residual: true },
];
