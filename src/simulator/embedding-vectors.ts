// Deterministic unit-length embedding vectors and their two wire encodings.
import { promptRandom } from './generate.js';
import { hashText } from './prompt.js';

const FNV_OFFSET = 0x811c9dc5;

/** A unit vector that depends only on (seed, input, dimensions); components are exact float32 values. */
export function embeddingVector(seed: number, input: string, dimensions: number): Float32Array {
  const random = promptRandom(seed, hashText(FNV_OFFSET, input));
  const vector = new Float32Array(dimensions);
  let sumOfSquares = 0;
  for (let i = 0; i < dimensions; i++) {
    const component = random() * 2 - 1;
    vector[i] = component;
    sumOfSquares += component * component;
  }
  const norm = Math.sqrt(sumOfSquares) || 1;
  for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] ?? 0) / norm;
  return vector;
}

/** Base64 of little-endian float32, as OpenAI sends for `encoding_format: 'base64'`. */
export function encodeBase64(vector: Float32Array): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i] ?? 0, true);
  return Buffer.from(view.buffer).toString('base64');
}

/** The JSON text of the `embedding` field for either encoding. */
export function embeddingJson(vector: Float32Array, format: 'float' | 'base64'): string {
  return format === 'base64' ? `"${encodeBase64(vector)}"` : JSON.stringify(Array.from(vector));
}
