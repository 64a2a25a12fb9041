export { SafetensorsError } from './errors.js';
export { MAX_HEADER_BYTES, type SafetensorsHeader, type TensorInfo } from './header.js';
export { SafetensorsBuffer, SafetensorsFileReader } from './reader.js';
export { encodeSafetensors, type TensorToWrite } from './writer.js';
