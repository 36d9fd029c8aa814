#!/usr/bin/env python3
"""Interop check of the sfda.v1 gRPC contract from Python, against running services.

  python3 tools/python-client/interop.py \\
      --teacher 127.0.0.1:50061 --orchestrator 127.0.0.1:50063 [--student 127.0.0.1:50062] \\
      --source-model /shared/source.model.ckpt --config configs/some.json \\
      [--token T] [--tls --ca ca.pem [--cert c.pem --key c.key] [--server-name NAME]] \\
      [--iterations 4] [--export /shared/out/model.onnx] [--stubs DIR | --generate]

Teacher: LoadRun (and again: idempotent), Label on a random batch of the config's batch and
crop size (labels uint8 [N,H,W], confidence/reliability float32 in [0,1], the weights version
and digest of LoadRun), the same step again quantised to 8 and 16 bits (a replay, decoded
within the quantisation bound of the float32 answer), Predict (agrees with Label's labels, also
for one image), GetState; malformed requests: a tensor 4 bytes short, a wrong shape, one
channel, quantize_bits 7 → INVALID_ARGUMENT; an unknown run → NOT_FOUND; with TLS, a plaintext
client is refused (UNAVAILABLE); with a token, calls without it or with a wrong one →
UNAUTHENTICATED.
Orchestrator: ListRuns, StartRun (bad JSON and an unknown override → INVALID_ARGUMENT), GetRun,
WatchRun until FINISHED (steps never go back), GetRun/ListRuns FINISHED, Evaluate (unless
--no-evaluate), Export (with --export); Student.GetState with --student.

Exit 0 with a last line `interop: OK <n> checks; ...`; 1 when a check fails (`interop: FAILED
at <step>: <why>`); 2 for a setup problem (Python packages or stubs missing, bad arguments).
The source model and the export path are paths the services open: on shared storage.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
import uuid
from typing import Any, Callable, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(HERE, 'requirements.txt')
HEX64 = re.compile(r'^[0-9a-f]{64}$')
# ADAPT_SCHEMA defaults (lib/train/adapt-config.ts) for fields a config may leave out
DEFAULTS = {'batch': 2, 'seed': 0, 'cropWidth': 1024, 'cropHeight': 512}


class CheckFailed(Exception):
    pass


class Setup(Exception):
    pass


class Checks:
    def __init__(self, quiet: bool):
        self.n = 0
        self.where = 'start'
        self.quiet = quiet

    def at(self, where: str) -> None:
        self.where = where

    def ok(self, cond: Any, what: str) -> None:
        if not cond:
            raise CheckFailed(what)
        self.n += 1

    def log(self, line: str) -> None:
        if not self.quiet:
            print(f'  ok  {self.where}: {line}', flush=True)


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description='Exercise the sfda.v1 Teacher and Orchestrator from Python (gRPC interop check).')
    ap.add_argument('--teacher', required=True, help='teacher service host:port')
    ap.add_argument('--orchestrator', required=True, help='orchestrator host:port')
    ap.add_argument('--student', default='', help='student service host:port (optional: Student.GetState of the run)')
    ap.add_argument('--source-model', required=True, help='source model file (*.model.ckpt), a path the services can read')
    ap.add_argument('--config', required=True, help='adaptation config (JSON file)')
    ap.add_argument('--token', default=os.environ.get('SFDA_AUTH_TOKEN', ''), help='bearer token (default $SFDA_AUTH_TOKEN)')
    ap.add_argument('--tls', action='store_true', help='TLS with the system roots (or --ca)')
    ap.add_argument('--ca', default='', help='PEM CA bundle that signs the servers (implies TLS)')
    ap.add_argument('--cert', default='', help='PEM client certificate (mTLS; with --key)')
    ap.add_argument('--key', default='', help='PEM client key')
    ap.add_argument('--server-name', default='', help='name the server certificates are checked against')
    ap.add_argument('--run-id', default='', help='run id of the orchestrated run (default pyinterop-<time>-<hex>); the teacher-only run is <run-id>-teacher')
    ap.add_argument('--mode', default='sync', choices=['sync', 'pipelined'], help='mode of the orchestrated run')
    ap.add_argument('--iterations', type=int, default=0, help='override the config\'s iterations (through StartRun.overrides)')
    ap.add_argument('--eval-limit', type=int, default=2, help='images of Evaluate (0: the whole split)')
    ap.add_argument('--no-evaluate', action='store_true', help='skip Orchestrator.Evaluate')
    ap.add_argument('--export', default='', help='Orchestrator.Export the run\'s model to this path (skipped when empty)')
    ap.add_argument('--run-timeout', type=float, default=600.0, help='seconds the run may take to finish')
    ap.add_argument('--call-timeout', type=float, default=120.0, help='deadline of each unary call (s)')
    ap.add_argument('--stubs', default='', help='folder of the generated stubs (default $SFDA_PY_STUBS or tools/python-client/build/gen)')
    ap.add_argument('--generate', action='store_true', help='generate the stubs into the stubs folder first')
    ap.add_argument('--seed', type=int, default=1234, help='seed of the random images')
    ap.add_argument('--quiet', action='store_true', help='print only the summary (or the failure)')
    return ap.parse_args(argv)


def load_client(args: argparse.Namespace) -> Any:
    try:
        import numpy  # noqa: F401
        import grpc  # noqa: F401
    except ImportError as e:
        raise Setup(f'Python packages missing ({e}): install them with `python3 -m pip install -r {os.path.relpath(REQUIREMENTS)}`') from None
    sys.path.insert(0, HERE)
    import sfda_client as sc
    stubs_dir = args.stubs or os.environ.get('SFDA_PY_STUBS') or sc.DEFAULT_STUBS
    if args.generate:
        import generate
        generate.generate(os.path.abspath(stubs_dir))
    sc.use_stubs(stubs_dir)
    try:
        sc.stubs()
    except ImportError as e:
        raise Setup(str(e)) from None
    return sc


def expect_code(sc: Any, c: Checks, code_name: str, fn: Callable[[], Any], what: str, mention: str = '') -> str:
    """Runs fn, which must fail with the status `code_name` (and details mentioning `mention`)."""
    try:
        fn()
    except sc.RpcFailure as e:
        c.ok(e.code.name == code_name, f'{what}: expected {code_name}, got {e.code.name}: {e.details}')
        if mention:
            c.ok(mention in e.details, f'{what}: the {code_name} details do not mention {mention!r}: {e.details}')
        c.log(f'{what} → {code_name} ({e.details})')
        return e.details
    raise CheckFailed(f'{what}: expected {code_name}, but the call succeeded')


def in_unit(a: Any) -> bool:
    import numpy as np
    return bool(np.isfinite(a).all() and (a >= 0).all() and (a <= 1).all())


def run(args: argparse.Namespace, c: Checks) -> str:
    sc = load_client(args)
    import numpy as np

    try:
        with open(args.config, encoding='utf-8') as f:
            config_json = f.read()
        config = json.loads(config_json)
    except (OSError, ValueError) as e:
        raise Setup(f'--config {args.config}: {e}') from None
    if not isinstance(config, dict):
        raise Setup(f'--config {args.config}: not a JSON object')
    source_model = os.path.abspath(args.source_model)
    aug = config.get('augment') or {}
    batch, seed = int(config.get('batch', DEFAULTS['batch'])), int(config.get('seed', DEFAULTS['seed']))
    crop_w, crop_h = int(aug.get('cropWidth', DEFAULTS['cropWidth'])), int(aug.get('cropHeight', DEFAULTS['cropHeight']))
    run_id = args.run_id or f'pyinterop-{time.strftime("%Y%m%d-%H%M%S", time.gmtime())}-{uuid.uuid4().hex[:6]}'
    teacher_run = f'{run_id}-teacher'
    conn: Dict[str, Any] = dict(token=args.token or None, tls=args.tls, ca_file=args.ca or None, cert_file=args.cert or None,
                                key_file=args.key or None, server_name=args.server_name or None)
    T = args.call_timeout

    teacher = sc.TeacherClient(args.teacher, timeout=T, **conn)
    orch = sc.OrchestratorClient(args.orchestrator, timeout=T, **conn)
    try:
        # ---------------- Teacher ----------------
        if conn['tls'] or conn['ca_file'] or conn['cert_file']:
            c.at('tls')
            with sc.TeacherClient(args.teacher, timeout=min(T, 10.0), token=args.token or None) as plain:
                expect_code(sc, c, 'UNAVAILABLE', lambda: plain.get_state(''), 'Teacher.GetState over plaintext to the TLS server')
        if args.token:
            c.at('auth')
            no_token = dict(conn, token=None)
            with sc.TeacherClient(args.teacher, timeout=T, **no_token) as anon:
                expect_code(sc, c, 'UNAUTHENTICATED', lambda: anon.get_state(''), 'Teacher.GetState without a token')
            with sc.OrchestratorClient(args.orchestrator, timeout=T, **dict(conn, token=args.token + '-wrong')) as bad:
                expect_code(sc, c, 'UNAUTHENTICATED', lambda: bad.list_runs(), 'Orchestrator.ListRuns with a wrong token')

        c.at('Teacher.LoadRun')
        lr = teacher.load_run(teacher_run, config_json, source_model)
        c.ok(lr.weights.version == 0, f'weights.version {lr.weights.version}, expected 0 (the source model)')
        c.ok(HEX64.match(lr.weights.digest), f'weights.digest {lr.weights.digest!r} is not a SHA-256 hex')
        c.ok(lr.provider != '', 'provider is empty')
        c.ok(len(lr.feature_size) == 2 and all(d > 0 for d in lr.feature_size), f'feature_size {list(lr.feature_size)}')
        digest0 = lr.weights.digest
        again = teacher.load_run(teacher_run, config_json, source_model)
        c.ok(again.weights.digest == digest0 and again.weights.version == 0, 'a second LoadRun with the same config changed the weights')
        c.log(f'run {teacher_run}: weights v0 {digest0[:12]}…, provider {lr.provider}, feature size {list(lr.feature_size)}; idempotent')

        c.at('Teacher.Label')
        rng = np.random.default_rng(args.seed)
        images = rng.standard_normal((batch, 3, crop_h, crop_w)).astype(np.float32)
        a = teacher.label(teacher_run, step=0, seed=seed, images=images)
        want = (batch, crop_h, crop_w)
        c.ok(a.labels.shape == want and a.labels.dtype == np.uint8, f'labels {a.labels.dtype} {list(a.labels.shape)}, expected uint8 {list(want)}')
        c.ok(a.raw.labels.dtype == sc.stubs().common_pb2.DTYPE_UINT8, f'labels travel as dtype {a.raw.labels.dtype}, expected DTYPE_UINT8')
        c.ok(a.confidence.shape == want and a.confidence.dtype == np.float32, f'confidence {a.confidence.dtype} {list(a.confidence.shape)}, expected float32 {list(want)}')
        c.ok(a.raw.confidence.dtype == sc.stubs().common_pb2.DTYPE_FLOAT32 and a.raw.confidence.scale == 0, 'quantize_bits 0 must answer exact float32 maps')
        c.ok(in_unit(a.confidence), f'confidence outside [0, 1]: {a.confidence.min()}..{a.confidence.max()}')
        c.ok(bool((a.confidence > 0).all()), 'a confidence (max softmax) is 0')
        if a.reliability is not None:
            c.ok(a.reliability.shape == want and a.reliability.dtype == np.float32, f'reliability {a.reliability.dtype} {list(a.reliability.shape)}')
            c.ok(in_unit(a.reliability), f'reliability outside [0, 1]: {a.reliability.min()}..{a.reliability.max()}')
        c.ok(a.weights.version == 0 and a.weights.digest == digest0, f'Label answered with weights {a.weights}, expected v0 {digest0[:12]}…')
        c.ok(not a.replayed, 'the first Label of step 0 says replayed')
        c.ok(all(np.isfinite(v) for v in a.metrics.values()), f'non-finite metrics {a.metrics}')
        labelled = a.labels[a.labels != 255]
        c.log(f'{list(images.shape)} float32 → labels uint8 {list(a.labels.shape)} (classes {sorted(set(labelled.tolist()))}), '
              f'confidence {a.confidence.min():.3f}..{a.confidence.max():.3f}, reliability '
              f'{"absent" if a.reliability is None else f"{a.reliability.min():.3f}..{a.reliability.max():.3f}"}, metrics {sorted(a.metrics)}')

        c.at('Teacher.Label quantised')
        pb = sc.stubs().common_pb2
        for bits, dtype in ((8, pb.DTYPE_UINT8), (16, pb.DTYPE_UINT16)):
            q = teacher.label(teacher_run, step=0, seed=seed, images=images, quantize_bits=bits)
            bound = sc.QUANT_MAX_ERROR[bits]
            c.ok(q.replayed, f'step 0 again ({bits} bits) was not served as a replay')
            c.ok(np.array_equal(q.labels, a.labels), f'{bits}-bit replay: labels differ')
            c.ok(q.raw.confidence.dtype == dtype and q.raw.confidence.scale > 0, f'{bits}-bit confidence travels as dtype {q.raw.confidence.dtype} scale {q.raw.confidence.scale}')
            err = float(np.abs(q.confidence - a.confidence).max())
            c.ok(q.confidence.dtype == np.float32 and err <= bound, f'{bits}-bit confidence off by {err} (bound {bound})')
            rerr = 0.0
            if a.reliability is not None:
                c.ok(q.reliability is not None and q.raw.reliability.dtype == dtype, f'{bits}-bit reliability missing or not dtype {dtype}')
                rerr = float(np.abs(q.reliability - a.reliability).max())
                c.ok(rerr <= bound, f'{bits}-bit reliability off by {rerr} (bound {bound})')
            c.log(f'{bits} bits: replayed, decoded within {max(err, rerr):.3g} ≤ {bound:.3g}')

        c.at('Teacher.Predict')
        p = teacher.predict(teacher_run, images)
        c.ok(p.labels.shape == want and p.labels.dtype == np.uint8, f'labels {p.labels.dtype} {list(p.labels.shape)}, expected uint8 {list(want)}')
        c.ok(p.weights.version == 0 and p.weights.digest == digest0, f'Predict answered with weights {p.weights}')
        agree = float((p.labels == a.labels).mean())
        c.ok(agree == 1.0, f'Predict and Label disagree on {100 * (1 - agree):.2f} % of the pixels of the same images')
        p1 = teacher.predict(teacher_run, images[:1])
        c.ok(p1.labels.shape == (1, crop_h, crop_w) and np.array_equal(p1.labels[0], p.labels[0]), 'Predict of one image differs from the batch')
        c.log(f'labels uint8 {list(p.labels.shape)} = Label\'s; one image alone agrees')

        c.at('Teacher malformed requests')
        req = sc.stubs().teacher_pb2.LabelRequest(run_id=teacher_run, step=1, seed=seed, images=sc.encode_tensor(images))
        req.images.data = req.images.data[:-4]
        expect_code(sc, c, 'INVALID_ARGUMENT', lambda: teacher.label_raw(req), 'Label with a tensor 4 bytes short', mention='images')
        expect_code(sc, c, 'INVALID_ARGUMENT', lambda: teacher.label(teacher_run, 1, seed, images[:, :, : crop_h // 2]), 'Label with half the crop height', mention='images')
        expect_code(sc, c, 'INVALID_ARGUMENT', lambda: teacher.predict(teacher_run, images[:, :1]), 'Predict with one channel', mention='images')
        expect_code(sc, c, 'INVALID_ARGUMENT', lambda: teacher.label(teacher_run, 1, seed, images, quantize_bits=7), 'Label with quantize_bits 7', mention='quantize_bits')
        expect_code(sc, c, 'NOT_FOUND', lambda: teacher.get_state(f'{run_id}-no-such-run'), 'GetState of an unknown run')

        c.at('Teacher.GetState')
        st = teacher.get_state(teacher_run)
        c.ok(st.loaded and st.run_id == teacher_run, f'state {st.run_id!r} loaded={st.loaded}')
        c.ok(st.weights.version == 0 and st.weights.digest == digest0, f'state weights {st.weights.version} {st.weights.digest[:12]}')
        c.ok(st.label_requests >= 3, f'label_requests {st.label_requests}, expected ≥ 3')
        c.ok(a.reliability is None or st.metric_steps == 1, f'metric_steps {st.metric_steps}: replays must not make a second metric step')
        c.log(f'loaded, v{st.weights.version}, {st.label_requests} label requests, {st.metric_steps} metric steps, provider {st.provider}')

        # ---------------- Orchestrator ----------------
        c.at('Orchestrator.ListRuns')
        before = orch.list_runs()
        c.ok(all(r.run_id != run_id for r in before), f'run {run_id} exists already')
        c.log(f'{len(before)} runs')

        c.at('Orchestrator.StartRun')
        expect_code(sc, c, 'INVALID_ARGUMENT', lambda: orch.start_run('{', source_model=source_model, run_id=run_id), 'StartRun with bad JSON', mention='config_json')
        expect_code(sc, c, 'INVALID_ARGUMENT', lambda: orch.start_run(config_json, source_model=source_model, run_id=run_id, overrides={'no_such_field': '1'}),
                    'StartRun with an unknown override', mention='no_such_field')
        expect_code(sc, c, 'NOT_FOUND', lambda: orch.get_run(run_id), 'GetRun before the run exists')
        overrides = {'iterations': args.iterations} if args.iterations > 0 else {}
        info = orch.start_run(config_json, source_model=source_model, run_id=run_id, mode=args.mode, overrides=overrides)
        c.ok(info.run_id == run_id, f'StartRun answered run {info.run_id!r}')
        c.ok(info.phase in ('STARTING', 'RUNNING', 'FINISHED'), f'phase {info.phase} after StartRun ({info.error})')
        c.ok(info.mode == args.mode, f'mode {info.mode!r}, expected {args.mode}')
        iterations = info.iterations
        c.ok(iterations > 0 and (not overrides or iterations == args.iterations), f'iterations {iterations} (override {args.iterations})')
        c.log(f'run {run_id}: {info.phase}, {iterations} iterations, {info.mode}, dir {info.run_dir}')

        c.at('Orchestrator.GetRun')
        g = orch.get_run(run_id)
        c.ok(g.run_id == run_id and g.iterations == iterations and g.run_dir == info.run_dir, f'GetRun {g.run_id} {g.iterations} {g.run_dir}')
        c.log(f'{g.phase} at step {g.step}')

        c.at('Orchestrator.WatchRun')
        t0 = time.time()
        events: List[Any] = []
        last_step = -1
        for ev in orch.watch_run(run_id, timeout=args.run_timeout):
            events.append(ev)
            c.ok(ev.run_id == run_id, f'a progress event of run {ev.run_id!r}')
            c.ok(ev.step >= last_step, f'step went back from {last_step} to {ev.step}')
            last_step = ev.step
            if ev.phase in sc.TERMINAL_PHASES:
                break
        c.ok(events, 'WatchRun sent no event')
        final = events[-1]
        if final.phase != 'FINISHED':
            info2 = orch.get_run(run_id)
            raise CheckFailed(f'the run ended {final.phase} (expected FINISHED): {info2.error or final.message}')
        c.ok(final.step == iterations, f'FINISHED at step {final.step} of {iterations}')
        c.log(f'{len(events)} events, FINISHED at step {final.step}/{iterations} in {time.time() - t0:.1f} s, teacher v{final.teacher_version}')

        c.at('Orchestrator.GetRun (finished)')
        done = orch.get_run(run_id)
        c.ok(done.phase == 'FINISHED' and done.step == iterations, f'GetRun: {done.phase} at step {done.step}')
        c.ok(done.last_checkpoint != '', 'no last_checkpoint')
        c.ok(done.error == '', f'error {done.error!r}')
        listed = {r.run_id: r for r in orch.list_runs()}
        c.ok(run_id in listed and listed[run_id].phase == 'FINISHED', 'ListRuns does not list the run FINISHED')
        c.log(f'FINISHED, teacher v{done.teacher_version}, mIoU {done.miou:.4f}, checkpoint {os.path.basename(done.last_checkpoint)}; listed')

        summary_eval = ''
        if not args.no_evaluate:
            c.at('Orchestrator.Evaluate')
            ev = orch.evaluate(run_id, limit=args.eval_limit)
            c.ok(ev.run_id == run_id and ev.images > 0, f'Evaluate: run {ev.run_id!r}, {ev.images} images')
            c.ok(0 <= ev.miou <= 1 and 0 <= ev.pixel_accuracy <= 1, f'mIoU {ev.miou}, pixel accuracy {ev.pixel_accuracy}')
            c.ok(len(ev.class_iou) > 0, 'no class_iou')
            c.ok(HEX64.match(ev.weights.digest) and ev.weights.version <= iterations, f'Evaluate weights {ev.weights.version} {ev.weights.digest!r}')
            n_classes = len(ev.class_iou)
            c.ok(bool(((a.labels < n_classes) | (a.labels == 255)).all()), f'Label returned a class ≥ {n_classes} (the run\'s class count)')
            c.log(f'{ev.split}: {ev.images} images, mIoU {ev.miou:.4f}, pixel acc. {ev.pixel_accuracy:.4f}, {n_classes} classes, teacher v{ev.weights.version}')
            summary_eval = f', mIoU {ev.miou:.4f}'

        if args.export:
            c.at('Orchestrator.Export')
            x = orch.export(run_id, args.export)
            c.ok(HEX64.match(x.sha256), f'sha256 {x.sha256!r}')
            c.ok(x.path != '', 'no path')
            if os.path.exists(x.path):
                with open(x.path, 'rb') as f:
                    local = hashlib.sha256(f.read()).hexdigest()
                c.ok(local == x.sha256, f'{x.path}: sha256 {local} but Export said {x.sha256}')
            c.log(f'{x.path} ({x.sha256[:12]}…, teacher v{x.weights.version})')

        if args.student:
            c.at('Student.GetState')
            with sc.StudentClient(args.student, timeout=T, **conn) as student:
                ss = student.get_state(run_id)
            c.ok(ss.run_id == run_id and ss.phase == 'FINISHED' and ss.step == iterations, f'student: {ss.run_id} {ss.phase} step {ss.step}')
            c.log(f'{ss.phase} at step {ss.step}, published v{ss.published_version}')
    finally:
        teacher.close()
        orch.close()

    return (f'teacher {args.teacher} (Label {list(images.shape)} → {list(a.labels.shape)}, 8/16-bit maps in bound, weights v0 {digest0[:12]}…), '
            f'orchestrator {args.orchestrator} (run {run_id} FINISHED {iterations}/{iterations} steps, {len(events)} watch events{summary_eval})')


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    c = Checks(args.quiet)
    try:
        summary = run(args, c)
    except Setup as e:
        print(f'interop: SETUP ERROR: {e}', file=sys.stderr, flush=True)
        return 2
    except CheckFailed as e:
        print(f'interop: FAILED at {c.where}: {e}', file=sys.stderr, flush=True)
        return 1
    except Exception as e:  # an unexpected call failure (RpcFailure) or a bug: name the step
        print(f'interop: FAILED at {c.where}: {type(e).__name__}: {e}', file=sys.stderr, flush=True)
        return 1
    print(f'interop: OK {c.n} checks; {summary}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
