"""Imports torchvision beside the CPU build of torch (the one place that knows how).

PyPI's torchvision 0.28.0 wheel is built against CUDA torch. Its compiled extension (the
`torchvision::nms`, `roi_align`, ... operators) does not load beside torch 2.13.0+cpu, and at
import time `torchvision/_meta_registrations.py` registers fake (meta) kernels for those
operators with `torch.library.register_fake`, which then fails with
"operator torchvision::nms does not exist". The segmentation model definitions
(torchvision.models.segmentation) use none of these compiled operators, so for the duration
of the import `register_fake` is replaced by a decorator that registers nothing; the original
is restored right after. Detection ops (nms, roi_align, deform_conv2d) stay unusable.

Usage:
    from torchvision_compat import import_torchvision, segmentation_models
    tv = import_torchvision()                # raises ImportError with the reason when absent
    models = segmentation_models()           # {'deeplabv3_resnet50': fn, ...}

CI installs torch==2.13.0 (the local CPU wheel) and torchvision==0.28.0 with --no-deps
(.ci/run); a plain `pip install torchvision` would pull the multi-GB CUDA torch.
"""
import torch

_tv = None


def import_torchvision():
    """torchvision, imported with the fake-kernel registrations disabled (see the module doc)."""
    global _tv
    if _tv is not None:
        return _tv
    orig = torch.library.register_fake
    torch.library.register_fake = lambda *a, **k: (lambda f: f)
    try:
        import torchvision
    finally:
        torch.library.register_fake = orig
    _tv = torchvision
    return torchvision


def segmentation_models():
    """The torchvision segmentation constructors the reference-model tests use, by name."""
    import_torchvision()
    from torchvision.models.segmentation import (deeplabv3_mobilenet_v3_large, deeplabv3_resnet50,
                                                 lraspp_mobilenet_v3_large)
    return {
        'deeplabv3_resnet50': deeplabv3_resnet50,
        'lraspp_mobilenet_v3_large': lraspp_mobilenet_v3_large,
        'deeplabv3_mobilenet_v3_large': deeplabv3_mobilenet_v3_large,
    }
