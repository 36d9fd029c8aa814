"""A small Python client of the sfda.v1 gRPC contract (Teacher, Orchestrator, Student).

    import numpy as np
    import sfda_client as sc

    sc.use_stubs('tools/python-client/build/gen')          # or $SFDA_PY_STUBS, or that default
    with sc.TeacherClient('127.0.0.1:50061', token='s3cret') as teacher:
        teacher.load_run('r1', config_json, source_model='/data/source.model.ckpt')
        out = teacher.label('r1', step=0, seed=5, images=np.zeros((2, 3, 40, 48), np.float32))
        out.labels        # uint8 [N, H, W] (255 = no label)
        out.confidence    # float32 [N, H, W]
        out.reliability   # float32 [N, H, W] or None (metric network off)
        out.weights       # WeightsVersion(version, digest)

Stubs: the generated modules (tools/python-client/generate.py) are imported on first use from
the folder given to use_stubs(), else $SFDA_PY_STUBS, else tools/python-client/build/gen.

Tensors travel as sfda.v1.Tensor: little-endian row-major bytes, dtype FLOAT32 | UINT8 |
UINT16 | INT64, data length = prod(shape) * itemsize. A UINT8/UINT16 tensor with scale > 0 is a
quantised float map: value = stored * scale + offset (decode_tensor returns float32 then).

Errors: every failed call raises RpcFailure (code: grpc.StatusCode, details, method).
Authentication: `token` adds `authorization: Bearer <token>` to every call (plaintext or TLS).
TLS: tls=True (system roots) or ca_file=...; cert_file + key_file present a client certificate
(mTLS); server_name overrides the name the server certificate is checked against.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import sys
from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Tuple, Union

import grpc
import numpy as np

__all__ = [
    'use_stubs', 'stubs', 'connect', 'RpcFailure', 'WeightsVersion', 'LabelResult', 'PredictResult',
    'encode_tensor', 'encode_float_map', 'decode_tensor', 'TeacherClient', 'OrchestratorClient',
    'StudentClient', 'TERMINAL_PHASES', 'QUANT_MAX_ERROR', 'hash_config',
]

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_STUBS = os.path.join(HERE, 'build', 'gen')
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024

# ---------------------------------------------------------------------------------------------
# generated stubs

_stubs_dir: Optional[str] = None
_stubs: Optional[SimpleNamespace] = None


def use_stubs(path: str) -> None:
    """Use the generated stubs in `path` (call before the first client is made)."""
    global _stubs_dir, _stubs
    if _stubs is not None and os.path.abspath(path) != _stubs_dir:
        raise RuntimeError(f'stubs already loaded from {_stubs_dir}; use_stubs({path!r}) must come first')
    _stubs_dir = os.path.abspath(path)


def stubs() -> SimpleNamespace:
    """The generated modules: .common_pb2, .teacher_pb2(_grpc), .student_pb2(_grpc), .orchestrator_pb2(_grpc)."""
    global _stubs, _stubs_dir
    if _stubs is not None:
        return _stubs
    path = _stubs_dir or os.environ.get('SFDA_PY_STUBS') or DEFAULT_STUBS
    path = os.path.abspath(path)
    if not os.path.isfile(os.path.join(path, 'sfda', 'v1', 'common_pb2.py')):
        raise ImportError(f'sfda.v1 Python stubs not found in {path}: generate them with '
                          f'`python3 {os.path.join(HERE, "generate.py")} --out {path}` (or set $SFDA_PY_STUBS)')
    if path not in sys.path:
        sys.path.insert(0, path)
    mods: Dict[str, ModuleType] = {}
    for name in ('common_pb2', 'teacher_pb2', 'teacher_pb2_grpc', 'student_pb2', 'student_pb2_grpc',
                 'orchestrator_pb2', 'orchestrator_pb2_grpc'):
        mods[name] = importlib.import_module(f'sfda.v1.{name}')
    loaded = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(mods['common_pb2'].__file__ or path))))
    if os.path.realpath(loaded) != os.path.realpath(path):
        raise ImportError(f'sfda.v1 was imported from {loaded}, not from the stubs folder {path} (another "sfda" package on sys.path?)')
    _stubs_dir = path
    _stubs = SimpleNamespace(**mods)
    return _stubs


# ---------------------------------------------------------------------------------------------
# errors, results


class RpcFailure(Exception):
    """A failed call: the gRPC status code, the server's details and the method."""

    def __init__(self, method: str, code: grpc.StatusCode, details: str):
        super().__init__(f'{method}: {code.name}: {details}')
        self.method = method
        self.code = code
        self.details = details


@dataclass(frozen=True)
class WeightsVersion:
    """The teacher weights an answer was computed with (0 = the source model) and their SHA-256."""
    version: int
    digest: str

    @staticmethod
    def of(msg: Any) -> 'WeightsVersion':
        return WeightsVersion(int(msg.version), str(msg.digest))


@dataclass
class LabelResult:
    """Teacher.Label, decoded. `raw` is the reply message (wire dtypes, scales)."""
    weights: WeightsVersion
    labels: np.ndarray                   # uint8 [N, H, W], 255 = none
    confidence: np.ndarray               # float32 [N, H, W]
    reliability: Optional[np.ndarray]    # float32 [N, H, W]; None when the metric network is off
    probs: Optional[np.ndarray]          # float32 [N, C, H, W] with want_probs
    metrics: Dict[str, float]
    replayed: bool
    raw: Any = field(repr=False, default=None)


@dataclass
class PredictResult:
    weights: WeightsVersion
    labels: np.ndarray                   # uint8 [N, H, W]
    raw: Any = field(repr=False, default=None)


TERMINAL_PHASES = frozenset({'FINISHED', 'FAILED', 'STOPPED'})

# ---------------------------------------------------------------------------------------------
# tensors

_DTYPES: Dict[str, Tuple[int, np.dtype]] = {
    # name -> (sfda.v1.DType value, little-endian numpy dtype)
    'DTYPE_FLOAT32': (1, np.dtype('<f4')),
    'DTYPE_UINT8': (2, np.dtype('u1')),
    'DTYPE_UINT16': (3, np.dtype('<u2')),
    'DTYPE_INT64': (4, np.dtype('<i8')),
}
_BY_CODE = {code: (name, dt) for name, (code, dt) in _DTYPES.items()}
_LEVELS = {8: 255, 16: 65535}
# |decoded - original| bound of a quantised map of values in [0, 1] (rounding + float32 storage).
QUANT_MAX_ERROR = {8: 0.5 / 255 + 2.0 ** -25, 16: 0.5 / 65535 + 2.0 ** -25}


def encode_tensor(array: Any) -> Any:
    """A numpy array (float32, uint8 or int64) as an sfda.v1.Tensor (little-endian, C order)."""
    pb = stubs().common_pb2
    a = np.asarray(array)
    kind = {np.dtype('float32'): 'DTYPE_FLOAT32', np.dtype('uint8'): 'DTYPE_UINT8', np.dtype('int64'): 'DTYPE_INT64'}.get(a.dtype.newbyteorder('='))
    if kind is None:
        raise TypeError(f'encode_tensor: dtype {a.dtype} has no wire form (float32, uint8 or int64; cast first)')
    code, wire = _DTYPES[kind]
    data = np.ascontiguousarray(a, dtype=wire).tobytes()
    return pb.Tensor(dtype=code, shape=[int(d) for d in a.shape], data=data, scale=0.0, offset=0.0)


def encode_float_map(values: Any, bits: int = 0) -> Any:
    """A float map in [0, 1] as float32 (bits 0) or quantised UINT8/UINT16 (bits 8/16; clamped, rounded)."""
    if bits == 0:
        return encode_tensor(np.asarray(values, dtype=np.float32))
    if bits not in _LEVELS:
        raise ValueError(f'encode_float_map: bits {bits} is not 0, 8 or 16')
    pb = stubs().common_pb2
    v = np.asarray(values, dtype=np.float32)
    if np.isnan(v).any():
        raise ValueError('encode_float_map: NaN cannot be quantised')
    levels = _LEVELS[bits]
    # round half away from zero, as the server does (Math.round on non-negative values)
    q = np.floor(np.clip(v.astype(np.float64), 0.0, 1.0) * levels + 0.5)
    name = 'DTYPE_UINT8' if bits == 8 else 'DTYPE_UINT16'
    code, wire = _DTYPES[name]
    return pb.Tensor(dtype=code, shape=[int(d) for d in v.shape], data=np.ascontiguousarray(q, dtype=wire).tobytes(),
                     scale=1.0 / levels, offset=0.0)


def decode_tensor(msg: Any, name: str = 'tensor') -> np.ndarray:
    """An sfda.v1.Tensor as a numpy array (its own memory). Quantised UINT8/UINT16 maps → float32."""
    if msg is None:
        raise ValueError(f'{name}: missing')
    if int(msg.dtype) not in _BY_CODE:
        raise ValueError(f'{name}: dtype {int(msg.dtype)} is not FLOAT32, UINT8, UINT16 or INT64')
    kind, wire = _BY_CODE[int(msg.dtype)]
    shape = tuple(int(d) for d in msg.shape)
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if len(msg.data) != n * wire.itemsize:
        raise ValueError(f'{name}: {len(msg.data)} bytes but shape {list(shape)} {kind} needs {n * wire.itemsize}')
    stored = np.frombuffer(msg.data, dtype=wire).reshape(shape)
    scale, offset = float(msg.scale), float(msg.offset)
    if scale > 0:
        if kind not in ('DTYPE_UINT8', 'DTYPE_UINT16'):
            raise ValueError(f'{name}: scale applies to UINT8/UINT16 only, not {kind}')
        levels = 255 if kind == 'DTYPE_UINT8' else 65535
        # the proto field is float32: its nearest value to 1/levels stands for the exact 1/levels
        if np.float32(scale) == np.float32(1.0 / levels):
            scale = 1.0 / levels
        return (stored.astype(np.float64) * scale + offset).astype(np.float32)
    if kind == 'DTYPE_UINT16':
        raise ValueError(f'{name}: UINT16 is only for quantised float maps (scale > 0)')
    if offset != 0:
        raise ValueError(f'{name}: offset {offset} without scale')
    return stored.astype(wire.newbyteorder('='), copy=True)


def hash_config(config_json: str) -> str:
    """SHA-256 (hex) of a config text: the LoadRun config_hash when none is given."""
    return hashlib.sha256(config_json.encode('utf-8')).hexdigest()


# ---------------------------------------------------------------------------------------------
# channels


class _BearerInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                         grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds `authorization: Bearer <token>` metadata (works on plaintext channels, unlike call credentials)."""

    def __init__(self, token: str):
        self._header = ('authorization', f'Bearer {token}')

    def _details(self, d: Any) -> Any:
        md = [m for m in (d.metadata or []) if m[0].lower() != 'authorization'] + [self._header]
        return _CallDetails(d.method, d.timeout, md, d.credentials, getattr(d, 'wait_for_ready', None), getattr(d, 'compression', None))

    def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[override]
        return continuation(self._details(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):  # type: ignore[override]
        return continuation(self._details(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):  # type: ignore[override]
        return continuation(self._details(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):  # type: ignore[override]
        return continuation(self._details(client_call_details), request_iterator)


class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):  # type: ignore[no-untyped-def]
        self.method = method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = credentials
        self.wait_for_ready = wait_for_ready
        self.compression = compression


def _read(path: Optional[str]) -> Optional[bytes]:
    if not path:
        return None
    with open(path, 'rb') as f:
        return f.read()


def connect(address: str, *, token: Optional[str] = None, tls: bool = False, ca_file: Optional[str] = None,
            cert_file: Optional[str] = None, key_file: Optional[str] = None, server_name: Optional[str] = None,
            max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES, wait_ready_s: Optional[float] = None) -> grpc.Channel:
    """A channel to host:port: plaintext, or TLS when tls / ca_file / cert_file is given; with the bearer token.

    wait_ready_s: block until the channel is connected (raises RpcFailure UNAVAILABLE after that long).
    """
    options: list = [('grpc.max_receive_message_length', max_message_bytes), ('grpc.max_send_message_length', max_message_bytes)]
    if bool(cert_file) != bool(key_file):
        raise ValueError('connect: a client certificate needs both cert_file and key_file')
    if tls or ca_file or cert_file:
        creds = grpc.ssl_channel_credentials(root_certificates=_read(ca_file), private_key=_read(key_file),
                                             certificate_chain=_read(cert_file))
        if server_name:
            options.append(('grpc.ssl_target_name_override', server_name))
        channel = grpc.secure_channel(address, creds, options=options)
    else:
        channel = grpc.insecure_channel(address, options=options)
    if wait_ready_s is not None:
        try:
            grpc.channel_ready_future(channel).result(timeout=wait_ready_s)
        except grpc.FutureTimeoutError:
            channel.close()
            raise RpcFailure('connect', grpc.StatusCode.UNAVAILABLE, f'{address} not reachable within {wait_ready_s} s') from None
    if token:
        channel = grpc.intercept_channel(channel, _BearerInterceptor(token))
    return channel


# ---------------------------------------------------------------------------------------------
# clients


ChannelOrAddress = Union[str, grpc.Channel]


class _Client:
    _service = ''

    def __init__(self, target: ChannelOrAddress, *, timeout: float = 60.0, **connect_kwargs: Any):
        """`target`: host:port (connect_kwargs go to connect()) or an existing channel (not closed by close())."""
        self._own = isinstance(target, str)
        self.channel: grpc.Channel = connect(target, **connect_kwargs) if isinstance(target, str) else target
        self.timeout = timeout
        self.pb = stubs()

    def close(self) -> None:
        if self._own:
            self.channel.close()

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _unary(self, fn: Callable[..., Any], name: str, request: Any, timeout: Optional[float]) -> Any:
        try:
            return fn(request, timeout=self.timeout if timeout is None else timeout)
        except grpc.RpcError as e:
            raise RpcFailure(f'{self._service}.{name}', e.code(), e.details() or '') from None

    def _stream(self, fn: Callable[..., Any], name: str, request: Any, timeout: Optional[float]) -> Iterator[Any]:
        call = fn(request, timeout=timeout)
        try:
            for msg in call:
                yield msg
        except grpc.RpcError as e:
            raise RpcFailure(f'{self._service}.{name}', e.code(), e.details() or '') from None
        finally:
            call.cancel()


class TeacherClient(_Client):
    """sfda.v1.Teacher."""
    _service = 'Teacher'

    def __init__(self, target: ChannelOrAddress, **kw: Any):
        super().__init__(target, **kw)
        self.stub = self.pb.teacher_pb2_grpc.TeacherStub(self.channel)

    def load_run(self, run_id: str, config_json: str, source_model: str = '', *, config_hash: Optional[str] = None,
                 start_version: int = 0, reset: bool = False, timeout: Optional[float] = None) -> Any:
        """LoadRun → LoadRunReply (weights, provider, feature_size). Idempotent for the same run and config hash."""
        req = self.pb.teacher_pb2.LoadRunRequest(run_id=run_id, config_json=config_json,
                                                 config_hash=config_hash or hash_config(config_json),
                                                 source_model=source_model, start_version=start_version, reset=reset)
        return self._unary(self.stub.LoadRun, 'LoadRun', req, timeout)

    def label(self, run_id: str, step: int, seed: int, images: Any, *, min_version: int = 0, want_probs: bool = False,
              quantize_bits: int = 0, timeout: Optional[float] = None) -> LabelResult:
        """Label: normalised images float32 [N, 3, H, W] (the run's batch and crop) → labels, confidence, reliability."""
        req = self.pb.teacher_pb2.LabelRequest(run_id=run_id, step=step, seed=seed, images=encode_tensor(np.asarray(images, dtype=np.float32)),
                                               min_version=min_version, want_probs=want_probs, quantize_bits=quantize_bits)
        return self.label_raw(req, timeout=timeout)

    def label_raw(self, request: Any, *, timeout: Optional[float] = None) -> LabelResult:
        """Label with a request message built by the caller (e.g. a hand-made Tensor)."""
        r = self._unary(self.stub.Label, 'Label', request, timeout)
        return LabelResult(
            weights=WeightsVersion.of(r.weights),
            labels=decode_tensor(r.labels, 'labels'),
            confidence=decode_tensor(r.confidence, 'confidence'),
            reliability=decode_tensor(r.reliability, 'reliability') if r.HasField('reliability') else None,
            probs=decode_tensor(r.probs, 'probs') if r.HasField('probs') else None,
            metrics=dict(r.metrics), replayed=bool(r.replayed), raw=r,
        )

    def predict(self, run_id: str, images: Any, *, timeout: Optional[float] = None) -> PredictResult:
        """Predict: normalised images float32 [N, 3, H, W] → label map uint8 [N, H, W]."""
        req = self.pb.teacher_pb2.PredictRequest(run_id=run_id, images=encode_tensor(np.asarray(images, dtype=np.float32)))
        r = self._unary(self.stub.Predict, 'Predict', req, timeout)
        return PredictResult(weights=WeightsVersion.of(r.weights), labels=decode_tensor(r.labels, 'labels'), raw=r)

    def sync_weights(self, run_id: str, min_version: int = 0, *, timeout: Optional[float] = None) -> Any:
        return self._unary(self.stub.SyncWeights, 'SyncWeights', self.pb.teacher_pb2.SyncWeightsRequest(run_id=run_id, min_version=min_version), timeout)

    def get_state(self, run_id: str = '', *, timeout: Optional[float] = None) -> Any:
        """GetState → TeacherState (run_id, weights, label_requests, metric_steps, snapshots_*, provider, loaded)."""
        return self._unary(self.stub.GetState, 'GetState', self.pb.teacher_pb2.GetTeacherStateRequest(run_id=run_id), timeout)


class OrchestratorClient(_Client):
    """sfda.v1.Orchestrator."""
    _service = 'Orchestrator'

    def __init__(self, target: ChannelOrAddress, **kw: Any):
        super().__init__(target, **kw)
        self.stub = self.pb.orchestrator_pb2_grpc.OrchestratorStub(self.channel)

    def _ref(self, run_id: str) -> Any:
        return self.pb.common_pb2.RunRef(run_id=run_id)

    def start_run(self, config_json: str, *, source_model: str = '', run_id: str = '', mode: str = '',
                  max_staleness: int = 0, overrides: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None) -> Any:
        """StartRun → RunInfo. mode 'sync' | 'pipelined' ('' = the orchestrator's default); overrides {field: value}."""
        req = self.pb.orchestrator_pb2.OrchStartRunRequest(
            run_id=run_id, config_json=config_json, source_model=source_model, mode=mode, max_staleness=max_staleness,
            overrides={str(k): (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (overrides or {}).items()})
        return self._unary(self.stub.StartRun, 'StartRun', req, timeout)

    def stop_run(self, run_id: str, *, timeout: Optional[float] = None) -> Any:
        return self._unary(self.stub.StopRun, 'StopRun', self._ref(run_id), timeout)

    def resume_run(self, run_id: str, *, timeout: Optional[float] = None) -> Any:
        return self._unary(self.stub.ResumeRun, 'ResumeRun', self._ref(run_id), timeout)

    def get_run(self, run_id: str, *, timeout: Optional[float] = None) -> Any:
        """GetRun → RunInfo (phase, step, iterations, teacher_version, run_dir, miou, error, ...)."""
        return self._unary(self.stub.GetRun, 'GetRun', self._ref(run_id), timeout)

    def list_runs(self, *, timeout: Optional[float] = None) -> list:
        """ListRuns → [RunInfo]."""
        return list(self._unary(self.stub.ListRuns, 'ListRuns', self.pb.orchestrator_pb2.ListRunsRequest(), timeout).runs)

    def watch_run(self, run_id: str, *, timeout: Optional[float] = None) -> Iterator[Any]:
        """WatchRun: Progress events (the current state first) until the run ends; `timeout` bounds the whole stream."""
        return self._stream(self.stub.WatchRun, 'WatchRun', self._ref(run_id), timeout)

    def wait_run(self, run_id: str, *, timeout: Optional[float] = None, on_event: Optional[Callable[[Any], None]] = None) -> Any:
        """Follows WatchRun until a terminal phase; returns the final RunInfo (GetRun)."""
        for ev in self.watch_run(run_id, timeout=timeout):
            if on_event:
                on_event(ev)
            if ev.phase in TERMINAL_PHASES:
                break
        return self.get_run(run_id)

    def evaluate(self, run_id: str, *, limit: int = 0, out_dir: str = '', timeout: Optional[float] = None) -> Any:
        """Evaluate → EvaluateReply (miou, pixel_accuracy, class_iou, weights, split, images)."""
        return self._unary(self.stub.Evaluate, 'Evaluate',
                           self.pb.orchestrator_pb2.EvaluateRequest(run_id=run_id, limit=limit, out_dir=out_dir), timeout)

    def export(self, run_id: str, path: str, *, timeout: Optional[float] = None) -> Any:
        """Export → ExportReply (path, sha256, weights): the run's teacher as an inference ONNX model at `path`."""
        return self._unary(self.stub.Export, 'Export', self.pb.orchestrator_pb2.ExportRequest(run_id=run_id, path=path), timeout)


class StudentClient(_Client):
    """sfda.v1.Student (read side: state and progress; runs are started through the orchestrator)."""
    _service = 'Student'

    def __init__(self, target: ChannelOrAddress, **kw: Any):
        super().__init__(target, **kw)
        self.stub = self.pb.student_pb2_grpc.StudentStub(self.channel)

    def get_state(self, run_id: str = '', *, timeout: Optional[float] = None) -> Any:
        return self._unary(self.stub.GetState, 'GetState', self.pb.student_pb2.GetStudentStateRequest(run_id=run_id), timeout)

    def watch(self, run_id: str, *, timeout: Optional[float] = None) -> Iterator[Any]:
        return self._stream(self.stub.Watch, 'Watch', self.pb.student_pb2.WatchStudentRequest(run_id=run_id), timeout)
