/**
 * Loads the sfda.v1 contract (proto/sfda/v1/*.proto) with @grpc/proto-loader and hands out the
 * typed service definitions and client constructors of Teacher, Student and Orchestrator.
 *
 * The loader options here are the single source of truth: proto-gen.ts derives the
 * proto-loader-gen-types flags from them, so the generated types in proto/gen/ describe exactly
 * the objects this loader produces (snake_case field names, 64-bit integers as JS numbers,
 * enums as their string names, defaults filled in, oneof virtual fields).
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { repoRoot } from '../../run/code-version.js';
import type { ProtoGrpcType as TeacherProto } from '../../../proto/gen/teacher.js';
import type { ProtoGrpcType as StudentProto } from '../../../proto/gen/student.js';
import type { ProtoGrpcType as OrchestratorProto } from '../../../proto/gen/orchestrator.js';
import type { TeacherClient, TeacherDefinition, TeacherHandlers } from '../../../proto/gen/sfda/v1/Teacher.js';
import type { StudentClient, StudentDefinition, StudentHandlers } from '../../../proto/gen/sfda/v1/Student.js';
import type { OrchestratorClient, OrchestratorDefinition, OrchestratorHandlers } from '../../../proto/gen/sfda/v1/Orchestrator.js';

/** The .proto files of the contract, relative to protoDir(). */
export const PROTO_FILES = [
  'sfda/v1/common.proto',
  'sfda/v1/teacher.proto',
  'sfda/v1/student.proto',
  'sfda/v1/orchestrator.proto',
] as const;

/** The protobuf package of the contract. */
export const PROTO_PACKAGE = 'sfda.v1';

/**
 * Options of @grpc/proto-loader (without includeDirs). Keep in sync with nothing: proto-gen.ts
 * derives the type generator's flags from this object.
 */
export const LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const satisfies protoLoader.Options;

/** `<repo>/proto`, the include directory of the contract. */
export function protoDir(): string {
  return path.join(repoRoot(), 'proto');
}

/** The service names, short → fully qualified. */
export const SERVICES = {
  Teacher: 'sfda.v1.Teacher',
  Student: 'sfda.v1.Student',
  Orchestrator: 'sfda.v1.Orchestrator',
} as const;

export type ServiceName = keyof typeof SERVICES;

/** The typed view of the loaded package (all three services and the shared messages). */
export type SfdaProto = TeacherProto & StudentProto & OrchestratorProto;
export type SfdaV1 = SfdaProto['sfda']['v1'];

interface ServiceTypes {
  Teacher: { client: TeacherClient; definition: TeacherDefinition; handlers: TeacherHandlers };
  Student: { client: StudentClient; definition: StudentDefinition; handlers: StudentHandlers };
  Orchestrator: { client: OrchestratorClient; definition: OrchestratorDefinition; handlers: OrchestratorHandlers };
}
/** The generated client interface of a service (both `Predict` and `predict` spellings). */
export type ClientOf<S extends ServiceName> = ServiceTypes[S]['client'];
/** The generated service definition (method paths, serializers) of a service. */
export type DefinitionOf<S extends ServiceName> = ServiceTypes[S]['definition'];
/** The generated raw grpc-js handler map of a service. */
export type HandlersOf<S extends ServiceName> = ServiceTypes[S]['handlers'];
/** A typed client constructor: `new (address, credentials, options?)`. */
export type ClientConstructor<S extends ServiceName> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => ClientOf<S>;

let cachedDefinition: protoLoader.PackageDefinition | undefined;
let cachedProto: SfdaProto | undefined;

/** The package definition of all contract files (cached; reflection needs it). */
export function packageDefinition(): protoLoader.PackageDefinition {
  cachedDefinition ??= protoLoader.loadSync([...PROTO_FILES], { ...LOADER_OPTIONS, includeDirs: [protoDir()] });
  return cachedDefinition;
}

/** The loaded grpc object, typed with the generated ProtoGrpcType (cached). */
export function loadSfda(): SfdaProto {
  cachedProto ??= grpc.loadPackageDefinition(packageDefinition()) as unknown as SfdaProto;
  return cachedProto;
}

/** The typed client constructor of a service. */
export function clientConstructor<S extends ServiceName>(service: S): ClientConstructor<S> {
  return loadSfda().sfda.v1[service] as unknown as ClientConstructor<S>;
}

/** The typed service definition of a service (for grpc.Server.addService). */
export function serviceDefinition<S extends ServiceName>(service: S): DefinitionOf<S> {
  return loadSfda().sfda.v1[service].service as DefinitionOf<S>;
}
