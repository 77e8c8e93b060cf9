#!/usr/bin/python3
"""Export the nnasim model zoo: 11 ImageNet networks as weight-less ONNX files.

Every file keeps its BatchNormalization nodes (the simulator folds or
quantises them itself) and lists its weights as graph inputs with shapes but
no values (export_params=False). Alongside the files, models/zoo.yaml records
per network the published figures from docs/FACTS.md and the counts
measured here on the PyTorch definition.

Run with Debian's interpreter, which has torch 1.13, torchvision 0.14 and
onnx 1.12:

    /usr/bin/python3 scripts/export_models.py [--out DIR] [--only NAME ...]
                                              [--check-repro]

--only exports only the named networks; zoo.yaml is still written for all
networks (the counts need no export and take a few seconds), so it never
loses entries. --check-repro exports every selected network a second time
into a temporary directory and fails if the bytes differ.

Network definitions:
  * mobilenet_v2, vgg16, resnet50, regnet_x_8gf, regnet_x_32gf: torchvision
    builders with weights=None.
  * efficientnet_lite0..4: written here after tensorflow/tpu
    models/official/efficientnet/lite (fix_head_stem, no SE, ReLU6,
    BN eps 1e-3), as summarised in FACTS.md.
  * hardnet85: written here after PingoLH/Pytorch-HarDNet hardnet.py
    (arch=85, depth_wise=False), as summarised in FACTS.md. One deliberate
    difference: the classifier flattens with nn.Flatten (ONNX Flatten)
    instead of x.view(N, -1), which would export as Shape/Gather/Reshape.
"""

import argparse
import hashlib
import math
import os
import sys
import tempfile
import time
import warnings

import onnx
import torch
import torch.nn as nn
import torchvision

# Op types the C++ importer is known to handle; anything else is reported.
SUPPORTED_OPS = {
    "Conv", "Gemm", "MatMul", "BatchNormalization", "Relu", "Clip", "Sigmoid",
    "HardSigmoid", "HardSwish", "Mul", "Add", "Concat", "MaxPool",
    "AveragePool", "GlobalAveragePool", "ReduceMean", "Flatten", "Reshape",
    "Pad", "Identity", "Dropout",
}

OPSET = 13
SEED = 0


# ---------------------------------------------------------------------------
# EfficientNet-Lite (tensorflow/tpu efficientnet/lite)
# ---------------------------------------------------------------------------

# B0 block groups: (repeats, kernel, stride, expand, in, out).
LITE_BLOCKS = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]

# name -> (width, depth, resolution, dropout), from efficientnet_lite_builder.
LITE_PARAMS = {
    "efficientnet_lite0": (1.0, 1.0, 224, 0.2),
    "efficientnet_lite1": (1.0, 1.1, 240, 0.2),
    "efficientnet_lite2": (1.1, 1.2, 260, 0.3),
    "efficientnet_lite3": (1.2, 1.4, 280, 0.3),
    "efficientnet_lite4": (1.4, 1.8, 300, 0.3),
}

LITE_STEM = 32    # not width-scaled (fix_head_stem)
LITE_HEAD = 1280  # not width-scaled (fix_head_stem)
LITE_BN_EPS = 1e-3


def round_filters(filters, width, divisor=8):
    """Scale a channel count by width, round to a multiple of divisor, and
    never go below 90% of the scaled value (tensorflow/tpu round_filters)."""
    scaled = filters * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def round_repeats(repeats, depth):
    return int(math.ceil(depth * repeats))


def conv_bn_relu6(cin, cout, kernel, stride=1, groups=1, eps=1e-5):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups,
                  bias=False),
        nn.BatchNorm2d(cout, eps=eps),
        nn.ReLU6(inplace=True),
    )


class MBConv(nn.Module):
    """Inverted residual without squeeze-excite: [expand 1x1] -> depthwise
    kxk -> project 1x1 (no activation); identity add when stride 1 and the
    channel count is unchanged."""

    def __init__(self, cin, cout, kernel, stride, expand):
        super().__init__()
        mid = cin * expand
        layers = []
        if expand != 1:
            layers.append(conv_bn_relu6(cin, mid, 1, eps=LITE_BN_EPS))
        layers.append(conv_bn_relu6(mid, mid, kernel, stride, groups=mid,
                                    eps=LITE_BN_EPS))
        layers.append(nn.Conv2d(mid, cout, 1, bias=False))
        layers.append(nn.BatchNorm2d(cout, eps=LITE_BN_EPS))
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class EfficientNetLite(nn.Module):
    def __init__(self, width, depth, dropout, num_classes=1000):
        super().__init__()
        self.stem = conv_bn_relu6(3, LITE_STEM, 3, 2, eps=LITE_BN_EPS)
        blocks = []
        cin = LITE_STEM  # the first group's input is the fixed-width stem
        last = len(LITE_BLOCKS) - 1
        for g, (reps, k, s, e, _, out) in enumerate(LITE_BLOCKS):
            cout = round_filters(out, width)
            n = reps if g in (0, last) else round_repeats(reps, depth)
            for i in range(n):
                blocks.append(MBConv(cin, cout, k, s if i == 0 else 1, e))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = conv_bn_relu6(cin, LITE_HEAD, 1, eps=LITE_BN_EPS)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(LITE_HEAD, num_classes)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.fc(self.dropout(self.flatten(self.pool(x))))


def efficientnet_lite(name):
    width, depth, _, dropout = LITE_PARAMS[name]
    return EfficientNetLite(width, depth, dropout)


# ---------------------------------------------------------------------------
# HarDNet85 (PingoLH/Pytorch-HarDNet hardnet.py, arch=85)
# ---------------------------------------------------------------------------

HARDNET85 = dict(
    stem=(48, 96),
    ch_list=(192, 256, 320, 480, 720, 1280),
    growth=(24, 24, 28, 36, 48, 256),
    layers=(8, 16, 16, 16, 16, 4),
    downsample=(1, 0, 1, 0, 1, 0),
    grmul=1.7,
    drop_rate=0.2,
)


def harmonic_links(k):
    """Layer k (1-based; 0 is the block input) reads layer k - 2^i for every
    i with 2^i dividing k."""
    links = []
    i = 0
    while 2 ** i <= k:
        if k % (2 ** i) == 0:
            links.append(k - 2 ** i)
        i += 1
    return links


def harmonic_width(k, base, growth, grmul):
    """Output channels of layer k: growth * grmul^(links-1), rounded to even
    the way hardnet.py does (int(int(x + 1) / 2) * 2); layer 0 is base."""
    if k == 0:
        return base
    width = growth * grmul ** (len(harmonic_links(k)) - 1)
    return int(int(width + 1) / 2) * 2


class HarDBlock(nn.Module):
    def __init__(self, cin, growth, grmul, n_layers):
        super().__init__()
        self.links = []
        layers = []
        self.out_channels = 0
        for k in range(1, n_layers + 1):
            links = harmonic_links(k)
            width_in = sum(harmonic_width(j, cin, growth, grmul)
                           for j in links)
            width = harmonic_width(k, cin, growth, grmul)
            self.links.append(links)
            layers.append(conv_bn_relu6(width_in, width, 3))
            if k % 2 == 1 or k == n_layers:
                self.out_channels += width
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        outs = [x]
        for links, layer in zip(self.links, self.layers):
            inputs = [outs[j] for j in links]
            outs.append(layer(torch.cat(inputs, 1) if len(inputs) > 1
                              else inputs[0]))
        last = len(outs) - 1
        return torch.cat([t for k, t in enumerate(outs)
                          if k % 2 == 1 or k == last], 1)


class HarDNet85(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        p = HARDNET85
        c0, c1 = p["stem"]
        base = [
            conv_bn_relu6(3, c0, 3, 2),
            conv_bn_relu6(c0, c1, 3),
            nn.MaxPool2d(3, 2, 1),
        ]
        ch = c1
        n_blocks = len(p["layers"])
        for i in range(n_blocks):
            block = HarDBlock(ch, p["growth"][i], p["grmul"], p["layers"][i])
            base.append(block)
            if i == n_blocks - 1:
                base.append(nn.Dropout(0.1))
            base.append(conv_bn_relu6(block.out_channels, p["ch_list"][i], 1))
            ch = p["ch_list"][i]
            if p["downsample"][i]:
                base.append(nn.MaxPool2d(2, 2))
        base.append(nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(1),
            nn.Dropout(p["drop_rate"]),
            nn.Linear(ch, num_classes),
        ))
        self.base = nn.Sequential(*base)

    def forward(self, x):
        return self.base(x)


# ---------------------------------------------------------------------------
# The zoo, in the order of FACTS.md's table
# ---------------------------------------------------------------------------

LITE_SOURCE = "tensorflow/tpu efficientnet/lite (FACTS.md)"


def tv(fn):
    return lambda: getattr(torchvision.models, fn)(weights=None)


def lite(name):
    return lambda: efficientnet_lite(name)


# name, resolution, top1, top1_source, published MACs, published params,
# builder.
NETWORKS = [
    ("mobilenet_v2", 224, 71.88, "torchvision mobilenet_v2 (FACTS.md)",
     300_000_000, 3_500_000, tv("mobilenet_v2")),
    ("efficientnet_lite0", 224, 75.1, LITE_SOURCE,
     407_000_000, 4_700_000, lite("efficientnet_lite0")),
    ("efficientnet_lite1", 240, 76.7, LITE_SOURCE,
     631_000_000, 5_400_000, lite("efficientnet_lite1")),
    ("efficientnet_lite2", 260, 77.6, LITE_SOURCE,
     899_000_000, 6_100_000, lite("efficientnet_lite2")),
    ("efficientnet_lite3", 280, 79.8, LITE_SOURCE,
     1_440_000_000, 8_200_000, lite("efficientnet_lite3")),
    ("efficientnet_lite4", 300, 81.5, LITE_SOURCE,
     2_640_000_000, 13_000_000, lite("efficientnet_lite4")),
    ("vgg16", 224, 71.59, "torchvision vgg16 (FACTS.md)",
     15_470_000_000, 138_360_000, tv("vgg16")),
    ("resnet50", 224, 76.13, "torchvision resnet50 IMAGENET1K_V1 (FACTS.md)",
     4_090_000_000, 25_560_000, tv("resnet50")),
    ("regnet_x_8gf", 224, 79.34, "torchvision regnet_x_8gf (FACTS.md)",
     8_000_000_000, 39_600_000, tv("regnet_x_8gf")),
    ("regnet_x_32gf", 224, 80.62, "torchvision regnet_x_32gf (FACTS.md)",
     31_700_000_000, 107_800_000, tv("regnet_x_32gf")),
    ("hardnet85", 224, 78.0, "PingoLH/Pytorch-HarDNet (FACTS.md)",
     9_100_000_000, 36_700_000, HarDNet85),
]

NAMES = [n[0] for n in NETWORKS]

# sanity: the table above and LITE_PARAMS agree on resolutions
for _n in NETWORKS:
    if _n[0] in LITE_PARAMS:
        assert LITE_PARAMS[_n[0]][2] == _n[1], _n[0]


def build(builder):
    torch.manual_seed(SEED)
    model = builder()
    model.eval()
    make_values_distinct(model)
    return model


def make_values_distinct(model):
    """Give every parameter and floating-point buffer fresh random values.

    In eval mode torch 1.13's exporter runs a pass that merges initializers
    with equal values (_jit_pass_onnx_deduplicate_initializers) even with
    export_params=False. Freshly initialised BN tensors are all ones or
    zeros (and VGG's biases all zeros), so without this the graph reads,
    e.g., one BN's running_var through an Identity of another layer's BN
    weight, and most weights vanish from the graph inputs. The values are
    never written (export_params=False); running variances stay positive so
    the counting forward pass is well defined.
    """
    gen = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, t in list(model.named_parameters()) + list(
                model.named_buffers()):
            if not t.is_floating_point():
                continue  # num_batches_tracked: not part of the eval graph
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            else:
                t.copy_(torch.randn(t.shape, generator=gen) * 0.01)


# ---------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------

def torch_counts(model, resolution):
    """Forward once at batch 1 and count with hooks.

    Returns (macs, params, bn_params, bn_fold_bias, orphan_bns) where
    orphan_bns lists BatchNorm2d modules whose input is not the output of a
    Conv2d/Linear called just before.
    """
    macs = 0
    producers = {}   # id(output tensor) -> (module, output tensor)
    bn_fold_bias = 0
    bn_params = 0
    orphans = []
    names = {m: n for n, m in model.named_modules()}

    def conv_hook(m, inp, out):
        nonlocal macs
        kh, kw = m.kernel_size
        macs += out.numel() * (m.in_channels // m.groups) * kh * kw
        producers[id(out)] = (m, out)  # keep out alive so ids stay unique

    def linear_hook(m, inp, out):
        nonlocal macs
        macs += m.in_features * m.out_features
        producers[id(out)] = (m, out)

    def bn_pre_hook(m, inp):
        nonlocal bn_fold_bias, bn_params
        x = inp[0]
        prod = producers.get(id(x))
        if prod is None or prod[1] is not x:
            orphans.append(names[m])
            return
        if m.affine:
            bn_params += m.weight.numel() + m.bias.numel()
        if prod[0].bias is None:
            bn_fold_bias += m.num_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
        elif isinstance(m, nn.BatchNorm2d):
            handles.append(m.register_forward_pre_hook(bn_pre_hook))
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            raise RuntimeError(f"unexpected norm layer {type(m).__name__}")
    with torch.no_grad():
        model(torch.zeros(1, 3, resolution, resolution))
    for h in handles:
        h.remove()
    # BN params of orphans still count towards torch_bn_params
    for n in orphans:
        m = dict(model.named_modules())[n]
        if m.affine:
            bn_params += m.weight.numel() + m.bias.numel()
    params = sum(p.numel() for p in model.parameters())
    return macs, params, bn_params, bn_fold_bias, orphans


# ---------------------------------------------------------------------------
# Export and checks
# ---------------------------------------------------------------------------

def export(model, resolution, path):
    dummy = torch.zeros(1, 3, resolution, resolution)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, dummy, path,
            export_params=False,
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=False,
            opset_version=OPSET,
            input_names=["input"],
            output_names=["output"],
        )


def state_names(model):
    """Parameters and floating-point buffers (BN running mean/var)."""
    return [n for n, t in list(model.named_parameters())
            + list(model.named_buffers()) if t.is_floating_point()]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_onnx(path, expected_weights, expected_bn):
    """Load, run the checker, and return facts about the graph.

    expected_weights: names of the parameters and BN running statistics,
    each of which must be a graph input of its own. expected_bn: number of
    BatchNorm2d modules, each of which must survive as a BatchNormalization
    node (torchvision's vgg16 has none).
    """
    model = onnx.load(path)
    onnx.checker.check_model(model)
    g = model.graph
    ops = sorted({n.op_type for n in g.node})
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers[i] = consumers.get(i, 0) + 1
    n_bn = 0
    bad_bn = []  # BN whose input is not a Conv output used only by that BN
    for n in g.node:
        if n.op_type != "BatchNormalization":
            continue
        n_bn += 1
        p = producer.get(n.input[0])
        if p is None or p.op_type != "Conv" or consumers[n.input[0]] != 1:
            bad_bn.append(n.name)
    if n_bn != expected_bn:
        raise RuntimeError(f"{path}: {n_bn} BatchNormalization nodes, the "
                           f"model has {expected_bn} BatchNorm2d")
    if g.initializer:
        raise RuntimeError(f"{path}: has {len(g.initializer)} initializers")
    weights = [i.name for i in g.input if i.name != "input"]
    if sorted(weights) != sorted(expected_weights):
        missing = sorted(set(expected_weights) - set(weights))
        extra = sorted(set(weights) - set(expected_weights))
        raise RuntimeError(f"{path}: graph inputs differ from the model's "
                           f"tensors; missing {missing[:5]}, extra {extra[:5]}")
    aliases = [n.name for n in g.node if n.op_type == "Identity"
               and n.input[0] in weights]
    if aliases:
        raise RuntimeError(f"{path}: weights aliased through Identity: "
                           f"{aliases[:5]}")
    return dict(ops=ops, nodes=len(g.node), bn=n_bn, bad_bn=bad_bn,
                size=os.path.getsize(path))


# ---------------------------------------------------------------------------
# Beyond ImageNet classifiers (issue 10): segmentation, detection, 3-D
# convolution, transformers. Each entry: name, task, inputs {name: shape},
# published MACs and params (None when there is no published figure for the
# exact network), their source, and the builder.
# ---------------------------------------------------------------------------

class SegmentationOut(nn.Module):
    """torchvision segmentation model returning the 'out' logits tensor."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)["out"]


class DetectorNet(nn.Module):
    """A torchvision SSD's network up to its box and class outputs: backbone
    and head, without the image transform, anchors and post-processing."""

    def __init__(self, ssd):
        super().__init__()
        self.backbone = ssd.backbone
        self.head = ssd.head

    def forward(self, x):
        feats = list(self.backbone(x).values())
        out = self.head(feats)
        return out["bbox_regression"], out["cls_logits"]


def conv3d_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv3d(cin, cout, 3, stride, 1, bias=False),
                         nn.BatchNorm3d(cout))


class StereoRegulariser(nn.Module):
    """The cost-volume regulariser of PSMNet (Chang & Chen, "Pyramid Stereo
    Matching Network", CVPR 2018; JiaRenChang/PSMNet models/stackhourglass.py):
    dres0, dres1 and one hourglass (3-D convolutions, two stride-2 levels,
    two ConvTranspose3d back up), the classifier to one channel, trilinear
    upsampling to full resolution and the soft-argmin disparity regression.
    Input: the concatenation cost volume of 2 x 32 features at 1/4
    resolution, 48 = 192/4 disparities, for a 256 x 512 crop."""

    def __init__(self, maxdisp=192):
        super().__init__()
        self.maxdisp = maxdisp
        self.dres0 = nn.Sequential(conv3d_bn(64, 32), nn.ReLU(),
                                   conv3d_bn(32, 32), nn.ReLU())
        self.dres1 = nn.Sequential(conv3d_bn(32, 32), nn.ReLU(),
                                   conv3d_bn(32, 32))
        self.conv1 = nn.Sequential(conv3d_bn(32, 64, 2), nn.ReLU())
        self.conv2 = conv3d_bn(64, 64)
        self.conv3 = nn.Sequential(conv3d_bn(64, 64, 2), nn.ReLU())
        self.conv4 = nn.Sequential(conv3d_bn(64, 64), nn.ReLU())
        self.conv5 = nn.Sequential(
            nn.ConvTranspose3d(64, 64, 3, padding=1, output_padding=1,
                               stride=2, bias=False), nn.BatchNorm3d(64))
        self.conv6 = nn.Sequential(
            nn.ConvTranspose3d(64, 32, 3, padding=1, output_padding=1,
                               stride=2, bias=False), nn.BatchNorm3d(32))
        self.classif = nn.Sequential(conv3d_bn(32, 32), nn.ReLU(),
                                     nn.Conv3d(32, 1, 3, 1, 1, bias=False))

    def forward(self, cost):
        c0 = self.dres0(cost)
        c0 = self.dres1(c0) + c0
        out = self.conv1(c0)
        pre = torch.relu(self.conv2(out))
        out = self.conv3(pre)
        out = self.conv4(out)
        post = torch.relu(self.conv5(out) + pre)
        out = self.conv6(post) + c0
        cost = self.classif(out)
        d, h, w = cost.shape[2] * 4, cost.shape[3] * 4, cost.shape[4] * 4
        cost = nn.functional.interpolate(cost, [d, h, w], mode="trilinear",
                                         align_corners=False)
        prob = torch.softmax(cost, dim=2)  # over disparities
        disp = torch.arange(d, dtype=torch.float32).view(1, 1, d, 1, 1)
        return torch.sum(prob * disp, 2)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)

    def split(self, x):  # [B, S, E] -> [B, H, S, E/H]
        b, s, e = x.shape
        return x.reshape(b, s, self.heads, e // self.heads).transpose(1, 2)

    def merge(self, x):  # [B, H, S, D] -> [B, S, H*D]
        b, h, s, d = x.shape
        return x.transpose(1, 2).reshape(b, s, h * d)


class BertLayer(nn.Module):
    """One post-LN BERT encoder layer (Devlin et al. 2019)."""

    def __init__(self, dim=768, heads=12, ffn=3072):
        super().__init__()
        self.att = Attention(dim, heads)
        self.ln1 = nn.LayerNorm(dim, eps=1e-12)
        self.fc1 = nn.Linear(dim, ffn)
        self.fc2 = nn.Linear(ffn, dim)
        self.ln2 = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x):
        a = self.att
        q, k, v = a.split(a.q(x)), a.split(a.k(x)), a.split(a.v(x))
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        ctx = a.merge(torch.matmul(torch.softmax(s, -1), v))
        x = self.ln1(x + a.o(ctx))
        return self.ln2(x + self.fc2(nn.functional.gelu(self.fc1(x))))


class BertEncoder(nn.Module):
    """BERT-base's encoder: 12 layers, hidden 768, 12 heads, FFN 3072, from
    the embeddings' output (sequence 128); no embeddings, no pooler."""

    def __init__(self, layers=12):
        super().__init__()
        self.layers = nn.ModuleList(BertLayer() for _ in range(layers))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Gpt2Block(nn.Module):
    """One pre-LN GPT-2 block (Radford et al. 2019) for one new token, its
    keys and values of the earlier tokens given as a cache."""

    def __init__(self, dim=768, heads=12):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.att = Attention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x, past_k, past_v):
        a = self.att
        h = self.ln1(x)
        q, k, v = a.split(a.q(h)), a.split(a.k(h)), a.split(a.v(h))
        scale = 1.0 / math.sqrt(q.shape[-1])
        # Scores against the cache and the new token; the cache is read,
        # never copied (a decoder appends only the new row).
        s = torch.cat([torch.matmul(q, past_k.transpose(-1, -2)),
                       torch.matmul(q, k.transpose(-1, -2))], -1) * scale
        p = torch.softmax(s, -1)
        n = past_k.shape[2]
        ctx = torch.matmul(p[..., :n], past_v) + torch.matmul(p[..., n:], v)
        x = x + a.o(a.merge(ctx))
        x = x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x))))
        return x, k, v


class Gpt2DecodeStep(nn.Module):
    """One decode step of GPT-2 small (12 layers, 768, 12 heads): the new
    token's embedded hidden state and a 1024-token key/value cache per layer
    in; logits over the 50257-token vocabulary (the LM head, tied to the
    token embedding) and the new token's keys and values out."""

    def __init__(self, layers=12, vocab=50257, dim=768):
        super().__init__()
        self.blocks = nn.ModuleList(Gpt2Block() for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)

    def forward(self, x, *cache):
        new = []
        for i, b in enumerate(self.blocks):
            x, k, v = b(x, cache[2 * i], cache[2 * i + 1])
            new += [k, v]
        return (self.lm_head(self.ln_f(x)), *new)


GPT2_CACHE = 1024
GPT2_INPUTS = {"hidden": [1, 1, 768]}
for _i in range(12):
    GPT2_INPUTS[f"past_key_{_i}"] = [1, 12, GPT2_CACHE, 64]
    GPT2_INPUTS[f"past_value_{_i}"] = [1, 12, GPT2_CACHE, 64]


def tv_seg():
    return SegmentationOut(torchvision.models.segmentation.
                           deeplabv3_mobilenet_v3_large(
                               weights=None, weights_backbone=None,
                               aux_loss=False))


def tv_ssd():
    return DetectorNet(torchvision.models.detection.
                       ssdlite320_mobilenet_v3_large(
                           weights=None, weights_backbone=None))


# name, task, inputs, published MACs, published params, source, builder
EXTRA = [
    ("deeplabv3_mobilenet_v3_large", "segmentation", {"input": [1, 3, 520, 520]},
     10_450_000_000, 11_029_328,
     "torchvision 0.14 model docs (GFLOPS 10.45 at 520x520, 11,029,328 "
     "params with the aux classifier, which this export leaves out)", tv_seg),
    ("ssdlite320_mobilenet_v3_large", "detection", {"input": [1, 3, 320, 320]},
     580_000_000, 3_440_904,
     "torchvision 0.14 model docs (GFLOPS 0.58, 3,440,904 params); network "
     "up to box/class outputs, no anchors or NMS", tv_ssd),
    ("psmnet_regulariser", "stereo depth (3-D convolution)",
     {"cost_volume": [1, 64, 48, 64, 128]}, None, None,
     "PSMNet (Chang & Chen, CVPR 2018) stackhourglass.py: dres0, dres1, one "
     "hourglass, classifier, trilinear upsampling, soft-argmin; written in "
     "scripts/export_models.py", StereoRegulariser),
    ("vit_b_16", "classification (transformer)", {"input": [1, 3, 224, 224]},
     17_560_000_000, 86_567_656,
     "torchvision 0.14 model docs (GFLOPS 17.56, 86,567,656 params)",
     tv("vit_b_16")),
    ("bert_base_encoder", "language encoder (transformer)",
     {"hidden": [1, 128, 768]}, None, 85_054_464,
     "BERT-base (Devlin et al. 2019): 110M params with embeddings and "
     "pooler; its 12 encoder layers are 85,054,464; written in "
     "scripts/export_models.py", BertEncoder),
    ("gpt2_decode_step", "language decoder (transformer)", GPT2_INPUTS,
     None, 123_653_376,
     "GPT-2 small (Radford et al. 2019): 124,439,808 params (HF count); "
     "without the 786,432 position embeddings (applied before the step), "
     "LM head tied to the token embedding; written in "
     "scripts/export_models.py", Gpt2DecodeStep),
]

EXTRA_NAMES = [n[0] for n in EXTRA]


def extra_counts(model, inputs):
    """MACs and parameters of one forward pass at batch 1, counted on the
    PyTorch execution: Conv{1,2,3}d and ConvTranspose{1,2,3}d by forward
    hooks, every linear layer (nn.Linear and the functional projections of
    nn.MultiheadAttention) by wrapping torch.nn.functional.linear, and the
    activation x activation products (attention) by wrapping torch.matmul,
    torch.bmm and torch.baddbmm. Also counts BN as torch_counts does."""
    macs = {"conv": 0, "linear": 0, "matmul": 0}
    bn_params = 0
    bn_fold_bias = 0
    producers = {}

    def conv_hook(m, inp, out):
        k = math.prod(m.kernel_size)
        if isinstance(m, nn.modules.conv._ConvTransposeNd):
            macs["conv"] += inp[0].numel() * (m.out_channels // m.groups) * k
        else:
            macs["conv"] += out.numel() * (m.in_channels // m.groups) * k
        producers[id(out)] = (m, out)

    def bn_pre_hook(m, inp):
        nonlocal bn_params, bn_fold_bias
        if m.affine:
            bn_params += m.weight.numel() + m.bias.numel()
        prod = producers.get(id(inp[0]))
        if prod is not None and prod[1] is inp[0] and prod[0].bias is None:
            bn_fold_bias += m.num_features

    F = torch.nn.functional
    orig = (F.linear, torch.matmul, torch.bmm, torch.baddbmm)

    def linear(x, w, b=None):
        macs["linear"] += x.numel() // w.shape[1] * w.shape[0] * w.shape[1]
        return orig[0](x, w, b)

    def matmul(a, b, **kw):
        out = orig[1](a, b, **kw)
        macs["matmul"] += out.numel() * a.shape[-1]
        return out

    def bmm(a, b, **kw):
        out = orig[2](a, b, **kw)
        macs["matmul"] += out.numel() * a.shape[-1]
        return out

    def baddbmm(c, a, b, **kw):
        out = orig[3](c, a, b, **kw)
        macs["matmul"] += out.numel() * a.shape[-1]
        return out

    handles = []
    for m in model.modules():
        if isinstance(m, (nn.modules.conv._ConvNd)):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            handles.append(m.register_forward_pre_hook(bn_pre_hook))
    F.linear, torch.matmul, torch.bmm, torch.baddbmm = (linear, matmul, bmm,
                                                         baddbmm)
    try:
        # Not under no_grad: torch 1.13's nn.MultiheadAttention then takes a
        # fused fast path that no wrapper sees (the export takes the slow,
        # decomposed path, as here).
        model(*[torch.rand(s) for s in inputs.values()])
    finally:
        F.linear, torch.matmul, torch.bmm, torch.baddbmm = orig
        for h in handles:
            h.remove()
    params = sum(p.numel() for p in model.parameters())
    ln_params = sum(p.numel() for m in model.modules()
                    if isinstance(m, nn.LayerNorm) for p in m.parameters())
    return dict(torch_macs=sum(macs.values()), torch_conv_macs=macs["conv"],
                torch_linear_macs=macs["linear"],
                torch_matmul_macs=macs["matmul"], torch_params=params,
                torch_bn_params=bn_params, torch_bn_fold_bias=bn_fold_bias,
                torch_ln_params=ln_params)


def export_extra(model, inputs, path):
    args = tuple(torch.zeros(s) for s in inputs.values())
    n_out = len(GPT2_INPUTS) + 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, args, path,
            export_params=False,
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=False,
            opset_version=OPSET,
            input_names=list(inputs),
        )
    del n_out


def check_extra_onnx(path, model):
    m = onnx.load(path)
    onnx.checker.check_model(m)
    g = m.graph
    n_bn = sum(n.op_type == "BatchNormalization" for n in g.node)
    want = sum(isinstance(x, nn.modules.batchnorm._BatchNorm)
               for x in model.modules())
    if n_bn != want:
        raise RuntimeError(f"{path}: {n_bn} BatchNormalization nodes, the "
                           f"model has {want}")
    return dict(ops=sorted({n.op_type for n in g.node}), nodes=len(g.node),
                bn=n_bn, size=os.path.getsize(path))


# ---------------------------------------------------------------------------
# zoo.yaml
# ---------------------------------------------------------------------------

YAML_HEADER = """\
# Generated by scripts/export_models.py — do not edit by hand.
# torch_macs: multiply-accumulates of Conv2d and Linear layers counted with forward hooks (batch 1, native resolution)
# name: network identifier; the ONNX file is <name>.onnx
# file: ONNX file (opset 13, no weights: weights are graph inputs with shapes; BatchNormalization nodes kept), relative to this file
# resolution: native input height = width in pixels; the ONNX input is "input", shape [1, 3, resolution, resolution]
# top1: published ImageNet-1k top-1 accuracy in percent, FP32
# top1_source: where the published top1, MACs and params come from (the "definition" column of FACTS.md's table)
# top1_by_weight_bits: published top-1 % with weights of N bits (8-bit activations), each naming its source; `unknown`
#   where no published source gives one (the seed's Figure 8 shows 8/6/4-bit accuracies only as a picture). A sweep
#   never reuses the FP32 top1 for another bit depth unless asked to (nnasim pareto --accuracy fp32).
# published_macs: published multiply-accumulates per inference at the native resolution (FACTS.md)
# published_params: published parameter count, weights + biases (FACTS.md)
# torch_params: sum of p.numel() over model.parameters() of the PyTorch definition (BN weight and bias included)
# torch_bn_params: BatchNorm2d weight+bias elements (2*C per BN); running mean/var are buffers, not counted
# torch_bn_fold_bias: bias elements created when each BN is folded into a preceding conv/linear that has no bias (C per such BN)
# torch_macs counts conv as out.numel() * (in_channels/groups) * kh * kw and linear as in_features*out_features; no BN, activation, add or pooling
# Entries with a task (segmentation, detection, 3-D, transformers; issue 10) have no top1; their torch_macs add
#   torch_conv_macs (Conv/ConvTranspose 1-3-D hooks; transposed: in.numel() * out_channels/groups * kernel volume),
#   torch_linear_macs (every torch.nn.functional.linear call) and torch_matmul_macs (torch.matmul/bmm/baddbmm of two
#   activations: out.numel() * K), counted on one batch-1 forward pass; torch_ln_params: LayerNorm weight+bias;
#   published_source names the published figure (or says the network is written in the script)
"""


# Published top-1 with quantised weights (and 8-bit activations), by weight bits: (top-1 %, source).
TV_Q = "torchvision 0.14 models/quantization"
LITE_INT8 = "tensorflow/tpu efficientnet/lite README, INT8 accuracy (post-training quantised TFLite)"
QUANT_TOP1 = {
    "mobilenet_v2": {8: (71.658, TV_Q + " MobileNet_V2_QuantizedWeights.IMAGENET1K_QNNPACK_V1 (int8 QAT) acc@1")},
    "resnet50": {8: (75.92, TV_Q + " ResNet50_QuantizedWeights.IMAGENET1K_FBGEMM_V1 (int8 post-training) acc@1")},
    "efficientnet_lite0": {8: (74.4, LITE_INT8)},
    "efficientnet_lite1": {8: (75.9, LITE_INT8)},
    "efficientnet_lite2": {8: (77.0, LITE_INT8)},
    "efficientnet_lite3": {8: (79.0, LITE_INT8)},
    "efficientnet_lite4": {8: (80.2, LITE_INT8)},
}
QUANT_BITS = (8, 6, 4)  # the seed's study


def top1_by_bits_lines(name):
    lines = ["    top1_by_weight_bits:"]
    known = QUANT_TOP1.get(name, {})
    for b in QUANT_BITS:
        if b in known:
            v, src = known[b]
            lines.append(f"      {b}: {{ top1: {v}, source: {yaml_str(src)} }}")
        else:
            lines.append(f"      {b}: unknown")
    return lines


def yaml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_yaml(path, rows, orphan_note):
    lines = [YAML_HEADER.rstrip("\n")]
    lines.append("# " + orphan_note)
    lines.append("networks:")
    for r in rows:
        if "task" in r:
            lines += [f"  - name: {r['name']}",
                      f"    file: {r['name']}.onnx",
                      f"    task: {yaml_str(r['task'])}",
                      "    inputs: {" + ", ".join(
                          f"{k}: {v}" for k, v in r["inputs"].items()) + "}"
                      if len(r["inputs"]) <= 2 else
                      f"    inputs: {yaml_str(r['inputs_note'])}"]
            if r["published_macs"] is not None:
                lines.append(f"    published_macs: {r['published_macs']}")
            if r["published_params"] is not None:
                lines.append(f"    published_params: {r['published_params']}")
            lines.append(f"    published_source: {yaml_str(r['source'])}")
            for k in ("torch_macs", "torch_conv_macs", "torch_linear_macs",
                      "torch_matmul_macs", "torch_params", "torch_bn_params",
                      "torch_bn_fold_bias", "torch_ln_params"):
                lines.append(f"    {k}: {r[k]}")
            continue
        lines += [
            f"  - name: {r['name']}",
            f"    file: {r['name']}.onnx",
            f"    resolution: {r['resolution']}",
            f"    top1: {r['top1']}",
            f"    top1_source: {yaml_str(r['top1_source'])}",
            f"    published_macs: {r['published_macs']}",
            f"    published_params: {r['published_params']}",
            f"    torch_macs: {r['torch_macs']}",
            f"    torch_params: {r['torch_params']}",
            f"    torch_bn_params: {r['torch_bn_params']}",
            f"    torch_bn_fold_bias: {r['torch_bn_fold_bias']}",
        ] + top1_by_bits_lines(r['name'])
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------

def main(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(root, "models"),
                    help="output directory (default: %(default)s)")
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    choices=NAMES + EXTRA_NAMES,
                    help="export only these networks (zoo.yaml still lists "
                         "all)")
    ap.add_argument("--count-only", action="store_true",
                    help="export nothing; count every network and write "
                         "zoo.yaml")
    ap.add_argument("--check-repro", action="store_true",
                    help="export each network twice and require identical "
                         "bytes")
    args = ap.parse_args(argv)

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    os.makedirs(args.out, exist_ok=True)
    selected = set() if args.count_only else set(args.only or NAMES + EXTRA_NAMES)
    rows = []
    all_orphans = {}
    unsupported = {}
    no_bn = []
    failed = False
    for (name, res, top1, src, pub_macs, pub_params, builder) in NETWORKS:
        t0 = time.time()
        model = build(builder)
        macs, params, bn_params, fold_bias, orphans = torch_counts(model, res)
        if orphans:
            all_orphans[name] = orphans
        rows.append(dict(name=name, resolution=res, top1=top1,
                         top1_source=src, published_macs=pub_macs,
                         published_params=pub_params, torch_macs=macs,
                         torch_params=params, torch_bn_params=bn_params,
                         torch_bn_fold_bias=fold_bias))
        line = (f"{name:20s} {res:3d}px  MACs {macs / 1e9:7.3f} G "
                f"({(macs / pub_macs - 1) * 100:+6.1f}% vs published)  "
                f"params {params / 1e6:8.3f} M "
                f"({(params / pub_params - 1) * 100:+6.1f}%)")
        if name not in selected:
            print(line + "  [counted only]")
            continue
        path = os.path.join(args.out, name + ".onnx")
        model = build(builder)  # fresh model: hooks and forward leave no trace
        export(model, res, path)
        n_bn = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
        info = check_onnx(path, state_names(model), n_bn)
        if n_bn == 0:
            no_bn.append(name)
        digest = sha256(path)
        if args.check_repro:
            with tempfile.TemporaryDirectory() as tmp:
                again = os.path.join(tmp, name + ".onnx")
                export(build(builder), res, again)
                if sha256(again) != digest:
                    print(f"ERROR: {name}: second export differs",
                          file=sys.stderr)
                    failed = True
        extra = sorted(set(info["ops"]) - SUPPORTED_OPS)
        if extra:
            unsupported[name] = extra
        if info["bad_bn"]:
            all_orphans.setdefault(name, []).extend(
                "onnx:" + b for b in info["bad_bn"])
        print(line)
        print(f"    {path}: {info['size']} bytes, {info['nodes']} nodes, "
              f"{info['bn']} BatchNormalization, sha256 {digest[:16]}, "
              f"{time.time() - t0:.1f} s")
        print(f"    ops: {' '.join(info['ops'])}")

    for (name, task, inputs, pub_macs, pub_params, src, builder) in EXTRA:
        t0 = time.time()
        model = build(builder)
        counts = extra_counts(model, inputs)
        row = dict(name=name, task=task, inputs=inputs, source=src,
                   published_macs=pub_macs, published_params=pub_params,
                   inputs_note=(f"hidden: [1, 1, 768]; past_key_i, "
                                f"past_value_i (i = 0..11): [1, 12, "
                                f"{GPT2_CACHE}, 64]"),
                   **counts)
        rows.append(row)
        macs, params = counts["torch_macs"], counts["torch_params"]
        rel = (lambda a, b: f"{(a / b - 1) * 100:+6.1f}%" if b else "  n/a ")
        line = (f"{name:28s} MACs {macs / 1e9:8.3f} G ({rel(macs, pub_macs)} "
                f"vs published)  params {params / 1e6:8.3f} M "
                f"({rel(params, pub_params)})")
        if name not in selected:
            print(line + "  [counted only]")
            continue
        path = os.path.join(args.out, name + ".onnx")
        model = build(builder)
        export_extra(model, inputs, path)
        info = check_extra_onnx(path, model)
        digest = sha256(path)
        if args.check_repro:
            with tempfile.TemporaryDirectory() as tmp:
                again = os.path.join(tmp, name + ".onnx")
                export_extra(build(builder), inputs, again)
                if sha256(again) != digest:
                    print(f"ERROR: {name}: second export differs",
                          file=sys.stderr)
                    failed = True
        print(line)
        print(f"    {path}: {info['size']} bytes, {info['nodes']} nodes, "
              f"{info['bn']} BatchNormalization, sha256 {digest[:16]}, "
              f"{time.time() - t0:.1f} s")
        print(f"    ops: {' '.join(info['ops'])}")

    if all_orphans:
        note = ("WARNING: BatchNorm not directly after a single-use conv in: "
                + "; ".join(f"{k}: {', '.join(v)}"
                            for k, v in all_orphans.items()))
    else:
        note = ("every BatchNorm2d directly follows a Conv2d (checked with "
                "forward hooks; the script also checks each exported ONNX "
                "graph: BN input = a Conv output nothing else reads)")
    yaml_path = os.path.join(args.out, "zoo.yaml")
    write_yaml(yaml_path, rows, note)
    print(f"wrote {yaml_path}")
    if all_orphans:
        print(note, file=sys.stderr)
    if no_bn:
        print("networks without any BatchNorm (by definition): "
              + " ".join(no_bn), file=sys.stderr)
    if unsupported:
        print("op types outside the importer's list: "
              + "; ".join(f"{k}: {' '.join(v)}"
                          for k, v in unsupported.items()), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
