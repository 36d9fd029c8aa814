"""PyTorch autograd on the engine's side of every kink: the float64 reference for float32 gradients
of ReLU/MaxPool networks (used by export_reference_models.py --reference).

Why: ReLU, HardSwish, HardSigmoid and MaxPool have points where the derivative jumps (z = 0;
z = ±3; two equal window maxima). A float32 forward differs from the float64 one by ~1e-6
relative, so in a deep network some hundred pre-activations of the 40 M lie on the other side
of a kink in float32 than in float64, and there the gradient is a different one-sided
derivative. Measured with PyTorch itself at 180x240: its own float32 gradients differ from its
float64 ones by up to 2.1e-2 relative per tensor for deeplabv3_resnet50 and 3.2e-3 for
lraspp_mobilenet_v3_large, but by 7.7e-5 once the ReLUs of the ResNet are replaced by SiLU.
No float32 implementation can be within 1e-4 of the plain float64 gradient there.

The same-branch reference keeps float64 everywhere except for the one decision a kink makes:
every value is computed in float64, and each kink op's derivative is PyTorch's own backward
formula evaluated at the engine's float32 input of that op (where the engine's float32
forward put it), for MaxPool the window maximum the engine's input selects. Where the engine's
input and the float64 one lie on the same side of every kink — all but a handful of elements —
this is exactly the float64 gradient; elsewhere it is the float64 gradient of the branch the
engine took. What is then left between engine and reference is float32 rounding, which 1e-4
bounds.

Usage:
    with SameBranch(points) as sb:      # points: [(op, float64 tensor)] in call order
        out = model(x)                  # ... and the backward pass, inside or after
    sb.check()                          # every point consumed, each by its op

`points` holds one entry per call of F.relu / F.hardswish / F.hardsigmoid / F.max_pool2d during
the forward, in call order, with the op's ONNX name (Relu, HardSwish, HardSigmoid, MaxPool):
the engine lists the kink nodes of the imported graph in the file's node order, which is the
exporter's trace order, i.e. the call order. `Recorder` records the inputs of those calls
instead (the same list, from PyTorch; used to check the mapping).
"""
import torch
import torch.nn.functional as F

PATCHED = {'relu': 'Relu', 'hardswish': 'HardSwish', 'hardsigmoid': 'HardSigmoid', 'max_pool2d': 'MaxPool'}


class _AtPoint(torch.autograd.Function):
    """y = fn(z); dz = PyTorch's derivative of fn at `at` applied to dy."""

    @staticmethod
    def forward(ctx, z, at, fn):
        ctx.save_for_backward(at)
        ctx.fn = fn
        return fn(z)

    @staticmethod
    def backward(ctx, dy):
        (at,) = ctx.saved_tensors
        with torch.enable_grad():
            a = at.detach().requires_grad_()
            (dz,) = torch.autograd.grad(ctx.fn(a), a, dy)
        return dz, None, None


class _Patch:
    def __enter__(self):
        self._orig = {k: getattr(F, k) for k in PATCHED}
        for k in PATCHED:
            setattr(F, k, self._wrap(k, self._orig[k]))
        return self

    def __exit__(self, *exc):
        for k, f in self._orig.items():
            setattr(F, k, f)
        return False


class SameBranch(_Patch):
    """Patches the kink functions to take their derivative at the given points (module doc)."""

    def __init__(self, points):
        self.points = list(points)
        self.used = 0

    def _next(self, op, shape):
        if self.used >= len(self.points):
            raise RuntimeError(f'same-branch: call #{self.used + 1} ({op}) has no engine point (the engine listed {len(self.points)})')
        want, at = self.points[self.used]
        if want != op or tuple(at.shape) != tuple(shape):
            raise RuntimeError(f'same-branch: call #{self.used + 1} is {op} {tuple(shape)} but the engine point is {want} {tuple(at.shape)}')
        self.used += 1
        return at.to(torch.float64)

    def _wrap(self, name, orig):
        op = PATCHED[name]
        if name == 'max_pool2d':
            def pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
                if return_indices:
                    raise RuntimeError('same-branch: max_pool2d with return_indices is not supported')
                at = self._next(op, x.shape)
                _, idx = orig(at, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)
                n, c = idx.shape[:2]
                return x.flatten(2).gather(2, idx.flatten(2)).view(n, c, *idx.shape[2:])
            return pool

        def elementwise(x, inplace=False):
            # relu, hardswish, hardsigmoid take (input, inplace) only; never in place here
            at = self._next(op, x.shape)
            return _AtPoint.apply(x, at, orig)
        return elementwise

    def check(self):
        if self.used != len(self.points):
            raise RuntimeError(f'same-branch: the forward made {self.used} kink calls but the engine listed {len(self.points)}')


class Recorder(_Patch):
    """Records (op, input) of every kink call (module doc)."""

    def __init__(self):
        self.points = []

    def _wrap(self, name, orig):
        op = PATCHED[name]

        def rec(x, *args, **kwargs):
            self.points.append((op, x.detach().clone()))
            return orig(x, *args, **kwargs)
        return rec
