/**
 * What the masked vector holds: the quantized, weight-scaled model delta (one coordinate per
 * model parameter), then the FedAvg weight coordinate (see src/secagg/quantize.ts).
 */
export function vectorLength(params: number): number {
  if (!Number.isSafeInteger(params) || params < 1) throw new RangeError(`model must have at least one parameter, got ${params}`);
  return params + 1;
}

/** Upper bound of an encoded contribution, for the size limit checked before decoding. */
export function maxContributionBytes(length: number, m: number): number {
  const sealedMax = 2 * 2048 * 4 + 16; // ρ = 1 is the largest slice
  return 8 * length + m * (sealedMax + 8) + 4096;
}
