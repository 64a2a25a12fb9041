// Every safetensors problem is reported as: file, tensor (when one is at fault), the rule broken.

export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly rule: string,
    readonly tensor?: string,
  ) {
    super(`${file}: ${tensor === undefined ? '' : `tensor '${tensor}': `}${rule}`);
    this.name = 'SafetensorsError';
  }
}
