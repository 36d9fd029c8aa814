/** The contract loader and the generated types in proto/gen/ (which must not drift from proto/). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@grpc/grpc-js';
import { diffTrees, GEN_DIR, genFlags, generateProtoTypes } from '../../lib/services/grpc/proto-gen.js';
import { clientConstructor, LOADER_OPTIONS, loadSfda, packageDefinition, serviceDefinition, SERVICES } from '../../lib/services/grpc/proto.js';
import type { RequestOf, ResponseOf, UnaryMethod } from '../../lib/services/grpc/client.js';
import type { ClientOf } from '../../lib/services/grpc/proto.js';
import { repoRoot } from '../../lib/run/code-version.js';

// Compile-time checks of the typed unary helper: streaming methods are not unary methods.
type TeacherUnary = UnaryMethod<ClientOf<'Teacher'>>;
type Assert<T extends true> = T;
export type Checks = [
  Assert<'Predict' extends TeacherUnary ? true : false>,
  Assert<'getState' extends TeacherUnary ? true : false>,
  Assert<'ExportState' extends TeacherUnary ? false : true>,
  Assert<'ImportState' extends TeacherUnary ? false : true>,
  Assert<'Watch' extends UnaryMethod<ClientOf<'Student'>> ? false : true>,
  Assert<RequestOf<ClientOf<'Orchestrator'>, 'GetRun'> extends { run_id?: string } ? true : false>,
  Assert<ResponseOf<ClientOf<'Teacher'>, 'GetState'> extends { label_requests: number } ? true : false>,
];

describe('sfda.v1 contract loading', () => {
  it('proto/gen/ is what proto-loader-gen-types makes from proto/ now (run `npm run proto:gen` if not)', function () {
    this.timeout(60_000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'proto-gen-test-'));
    try {
      generateProtoTypes(tmp);
      const committed = path.join(repoRoot(), GEN_DIR);
      assert.ok(fs.existsSync(path.join(committed, 'teacher.ts')), 'proto/gen/teacher.ts exists');
      assert.deepEqual(diffTrees(committed, tmp), []);
      // The comparison itself can fail: a changed byte is reported.
      fs.appendFileSync(path.join(tmp, 'common.ts'), ' ');
      assert.deepEqual(diffTrees(committed, tmp), ['common.ts']);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('generates with flags that match the loader options', () => {
    assert.deepEqual(LOADER_OPTIONS, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
    assert.deepEqual(genFlags().slice(0, 5), ['--keepCase', '--longs=Number', '--enums=String', '--defaults', '--oneofs']);
  });

  it('loads the three services with their methods, snake_case fields and string enums', () => {
    const v1 = loadSfda().sfda.v1;
    for (const [name, full] of Object.entries(SERVICES) as [keyof typeof SERVICES, string][]) {
      const Ctor = clientConstructor(name);
      assert.ok(Ctor.prototype instanceof Client, `${full} has a client constructor`);
      assert.equal(typeof serviceDefinition(name), 'object');
    }
    assert.deepEqual(Object.keys(serviceDefinition('Teacher')).sort(), ['ExportState', 'GetState', 'ImportState', 'Label', 'LoadRun', 'Predict', 'SyncWeights']);
    assert.deepEqual(Object.keys(serviceDefinition('Student')).sort(), ['GetState', 'StartRun', 'StopRun', 'Watch']);
    assert.equal(serviceDefinition('Student').Watch.responseStream, true);
    assert.equal(serviceDefinition('Teacher').Predict.path, '/sfda.v1.Teacher/Predict');
    // Defaults, keepCase and enum names as the generated __Output types promise.
    const decoded = serviceDefinition('Teacher').Label.requestDeserialize(Buffer.alloc(0));
    assert.deepEqual(decoded, { run_id: '', step: 0, seed: 0, images: null, min_version: 0, want_probs: false, quantize_bits: 0 });
    const t = serviceDefinition('Teacher').Predict.responseDeserialize(
      serviceDefinition('Teacher').Predict.responseSerialize({ labels: { dtype: 'DTYPE_UINT8', shape: [1], data: Buffer.from([5]) }, weights: { version: 2 ** 53 - 1 } }));
    assert.equal(t.labels?.dtype, 'DTYPE_UINT8');
    assert.equal(t.weights?.version, 2 ** 53 - 1);
    assert.ok(v1.Tensor && v1.DType, 'messages and enums are in the grpc object');
    assert.ok(packageDefinition()['sfda.v1.Orchestrator'], 'package definition for reflection');
  });
});
