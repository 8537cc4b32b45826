import { describe, expect, it } from 'vitest';
import {
  type CandidateReport,
  backendLabel,
  explainChoice,
  isSoftwareAdapter,
  isSoftwareRenderer,
  rankCandidates,
  softwareName,
} from './rank.js';

const names = (cs: CandidateReport[]): string[] => cs.map((c) => c.name);

describe('software detection', () => {
  it('recognises the WebGPU fallback adapter of headless Chromium', () => {
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader' })).toBe(true);
    expect(isSoftwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
  });
  it('does not flag real GPUs or a missing adapter', () => {
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false })).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'apple', architecture: 'metal-3' })).toBe(false);
    expect(isSoftwareAdapter(undefined)).toBe(false);
  });
  it('recognises software WebGL renderers', () => {
    expect(
      isSoftwareRenderer(
        'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)',
      ),
    ).toBe(true);
    expect(isSoftwareRenderer('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe(true);
    expect(isSoftwareRenderer('ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)')).toBe(false);
    expect(isSoftwareRenderer(undefined)).toBe(false);
    expect(softwareName('google swiftshader')).toBe('SwiftShader');
    expect(softwareName('nvidia ampere')).toBeUndefined();
  });
});

describe('rankCandidates', () => {
  it('orders measured candidates by ms per step and drops the ones that failed', () => {
    const ranked = rankCandidates([
      { name: 'webgpu', ok: true, msPerStep: 110, software: true },
      { name: 'webgl', ok: false, note: 'no WebGL context' },
      { name: 'wasm', ok: true, msPerStep: 3.1 },
      { name: 'cpu', ok: true, msPerStep: 11 },
    ]);
    expect(names(ranked)).toEqual(['wasm', 'cpu', 'webgpu']);
  });

  it('puts a real GPU first when it measures fastest', () => {
    const ranked = rankCandidates([
      { name: 'webgpu', ok: true, msPerStep: 0.8 },
      { name: 'webgl', ok: true, msPerStep: 1.5 },
      { name: 'wasm', ok: true, msPerStep: 3 },
      { name: 'cpu', ok: true, msPerStep: 10 },
    ]);
    expect(names(ranked)).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
  });

  it('lets measurement beat preference: a slow real GPU ranks below wasm', () => {
    const ranked = rankCandidates([
      { name: 'webgpu', ok: true, msPerStep: 9 },
      { name: 'wasm', ok: true, msPerStep: 3 },
      { name: 'cpu', ok: true, msPerStep: 10 },
    ]);
    expect(names(ranked)).toEqual(['wasm', 'webgpu', 'cpu']);
  });

  it('breaks near-ties (within 5 %) by preference', () => {
    expect(
      names(
        rankCandidates([
          { name: 'cpu', ok: true, msPerStep: 3.0 },
          { name: 'wasm', ok: true, msPerStep: 3.1 },
        ]),
      ),
    ).toEqual(['wasm', 'cpu']);
    expect(
      names(
        rankCandidates([
          { name: 'cpu', ok: true, msPerStep: 2.0 },
          { name: 'wasm', ok: true, msPerStep: 3.1 },
        ]),
      ),
    ).toEqual(['cpu', 'wasm']);
  });

  it('ranks unmeasured candidates after measured ones, software GPUs last', () => {
    const ranked = rankCandidates([
      { name: 'webgpu', ok: true, software: true, note: 'not measured (software)' },
      { name: 'webgl', ok: true, software: true },
      { name: 'wasm', ok: true, msPerStep: 3 },
      { name: 'cpu', ok: true },
    ]);
    expect(names(ranked)).toEqual(['wasm', 'cpu', 'webgpu', 'webgl']);
  });

  it('keeps an unmeasured hardware GPU ahead of unmeasured software ones', () => {
    const ranked = rankCandidates([
      { name: 'webgpu', ok: true, software: true },
      { name: 'webgl', ok: true },
      { name: 'cpu', ok: true, msPerStep: 12 },
    ]);
    expect(names(ranked)).toEqual(['cpu', 'webgl', 'webgpu']);
  });

  it('does not modify its input and ignores non-finite measurements', () => {
    const input: CandidateReport[] = [
      { name: 'cpu', ok: true, msPerStep: Number.NaN },
      { name: 'wasm', ok: true, msPerStep: 4 },
    ];
    const copy = structuredClone(input);
    expect(names(rankCandidates(input))).toEqual(['wasm', 'cpu']);
    expect(input).toEqual(copy);
    expect(rankCandidates([])).toEqual([]);
  });
});

describe('explainChoice', () => {
  const adapter = { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true };

  it('names the software adapter and how much slower it measured', () => {
    const cands: CandidateReport[] = [
      { name: 'webgpu', ok: true, msPerStep: 42, software: true },
      { name: 'webgl', ok: false, note: 'no WebGL context' },
      { name: 'wasm', ok: true, msPerStep: 3 },
      { name: 'cpu', ok: true, msPerStep: 10 },
    ];
    const chosen = rankCandidates(cands)[0] as CandidateReport;
    const reason = explainChoice(chosen, cands, adapter);
    expect(reason).toBe(
      'webgpu is a software adapter (SwiftShader), 14× slower here; webgl unavailable (no WebGL context); wasm 3.00 ms/step',
    );
    expect(backendLabel({ name: chosen.name, reason })).toMatch(
      /^backend: wasm — webgpu is a software adapter \(SwiftShader\), 14× slower here/,
    );
  });

  it('says an unmeasured software adapter was ranked below the choice', () => {
    const cands: CandidateReport[] = [
      { name: 'webgpu', ok: true, software: true },
      { name: 'wasm', ok: true, msPerStep: 3 },
    ];
    expect(explainChoice(cands[1] as CandidateReport, cands, adapter)).toBe(
      'webgpu is a software adapter (SwiftShader), ranked below wasm; wasm 3.00 ms/step',
    );
  });

  it('reports a warm-up-only measurement without a misleading factor', () => {
    const cands: CandidateReport[] = [
      { name: 'webgpu', ok: true, software: true, msPerStep: 3500, warmupOnly: true },
      { name: 'wasm', ok: true, msPerStep: 3 },
    ];
    expect(explainChoice(cands[1] as CandidateReport, cands, adapter)).toBe(
      'webgpu is a software adapter (SwiftShader), its first step took 3500 ms here; wasm 3.00 ms/step',
    );
  });

  it('describes software WebGL by its renderer', () => {
    const cands: CandidateReport[] = [
      {
        name: 'webgl',
        ok: true,
        software: true,
        msPerStep: 30,
        note: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device))',
      },
      { name: 'wasm', ok: true, msPerStep: 3 },
    ];
    expect(explainChoice(cands[1] as CandidateReport, cands)).toBe(
      'webgl is software-rendered (SwiftShader), 10× slower here; wasm 3.00 ms/step',
    );
  });

  it('says "fastest available" when the most preferred backend wins', () => {
    const cands: CandidateReport[] = [
      { name: 'webgpu', ok: true, msPerStep: 0.9 },
      { name: 'wasm', ok: true, msPerStep: 3 },
    ];
    expect(explainChoice(cands[0] as CandidateReport, cands)).toBe('fastest available (0.90 ms/step)');
  });

  it('explains a slower real GPU by its factor', () => {
    const cands: CandidateReport[] = [
      { name: 'webgpu', ok: true, msPerStep: 4.5 },
      { name: 'wasm', ok: true, msPerStep: 3 },
    ];
    expect(explainChoice(cands[1] as CandidateReport, cands)).toBe('webgpu 1.5× slower here; wasm 3.00 ms/step');
  });
});
