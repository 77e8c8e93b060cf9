"""The layers bench/compare_zigzag.sh runs in both tools, and their three descriptions: an nnasim
YAML model (one conv/fc layer behind its input), a ZigZag workload entry and a ZigZag mapping entry
that forces nnasim's spatial unrolling on the 64 x 64 weight-stationary array.

Shapes are torchvision's resnet50 / mobilenet_v2 at 224 x 224 (the models in models/*.onnx)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Layer:
    name: str      # short name used in file names and tables
    net: str       # network and torchvision module the shape comes from
    cin: int       # input channels
    cout: int      # output channels (fc: out_features)
    hw: int        # input height = width
    k: int = 1     # kernel (square)
    s: int = 1     # stride
    p: int = 0     # padding (all sides)
    groups: int = 1
    fc: bool = False
    why: str = ""

    @property
    def ohw(self) -> int:
        return (self.hw + 2 * self.p - self.k) // self.s + 1

    @property
    def depthwise(self) -> bool:
        return self.groups > 1 and self.groups == self.cin == self.cout

    @property
    def macs(self) -> int:
        return self.ohw * self.ohw * self.cout * (self.cin // self.groups) * self.k * self.k

    @property
    def gemm(self):
        """(M, K, N, groups) as nnasim's weight-stationary array sees the layer: M output pixels
        streamed, K = cin/groups * k * k reduction rows, N filters on the columns."""
        return self.ohw * self.ohw, (self.cin // self.groups) * self.k * self.k, self.cout // self.groups, self.groups


LAYERS = [
    Layer("r50_conv1", "ResNet-50 conv1", 3, 64, 224, k=7, s=2, p=3,
          why="shallow reduction (K = 147), large M"),
    Layer("r50_l1_1x1", "ResNet-50 layer1.0.conv3", 64, 256, 56,
          why="1x1, K = 64: one row fold, no partial sums across folds"),
    Layer("r50_l3_3x3", "ResNet-50 layer3.1.conv2", 256, 256, 14, k=3, p=1,
          why="3x3, K = 2304: 36 row folds"),
    Layer("r50_l4_3x3", "ResNet-50 layer4.1.conv2", 512, 512, 7, k=3, p=1,
          why="3x3x512, K = 4608: 72 row folds, the deepest reduction"),
    Layer("r50_l4_1x1", "ResNet-50 layer4.1.conv3", 512, 2048, 7,
          why="1x1, K = 512, N = 2048: weight-heavy"),
    Layer("r50_fc", "ResNet-50 fc", 2048, 1000, 1, fc=True,
          why="FC: M = 1, weights used once"),
    Layer("mv2_conv0", "MobileNetV2 features.0", 3, 32, 224, k=3, s=2, p=1,
          why="stem, K = 27, N = 32"),
    Layer("mv2_expand", "MobileNetV2 features.3.conv.0", 24, 144, 56,
          why="1x1 expand, K = 24"),
    Layer("mv2_dw", "MobileNetV2 features.3.conv.1", 144, 144, 56, k=3, p=1, groups=144,
          why="depthwise 3x3: 9 rows x 1 column per channel"),
    Layer("mv2_project", "MobileNetV2 features.3.conv.2", 144, 24, 56,
          why="1x1 project, K = 144 (3 row folds), N = 24"),
    Layer("mv2_fc", "MobileNetV2 classifier.1", 1280, 1000, 1, fc=True, why="FC"),
]


def nnasim_yaml(L: Layer) -> str:
    """A one-layer nnasim YAML model: its input comes from DRAM in cold mode, its output goes back."""
    head = (f"# {L.net}: {L.why} (bench/zigzag/layers.py)\n"
            f"name: {L.name}\n"
            "defaults: { weight_bits: 8, act_bits: 8, format: int }\n"
            f"input: {{ name: x, shape: [1, {L.cin}, {L.hw}, {L.hw}] }}\n"
            "layers:\n")
    if L.fc:
        return head + f"  - {{ name: {L.name}, op: fc, out_features: {L.cout}, bias: false }}\n"
    return head + (f"  - {{ name: {L.name}, op: conv, out_channels: {L.cout}, kernel: {L.k}, stride: {L.s}, "
                   f"pad: {L.p}, groups: {L.groups}, bias: false }}\n")


def zigzag_workload(L: Layer, acc_bits: int) -> list:
    """ZigZag's own workload format (one layer). O is the 32-bit partial sum, O_final the 8-bit output."""
    o = L.ohw
    prec = {"W": 8, "I": 8, "O": acc_bits, "O_final": 8}
    rel = [f"ix={L.s}*ox+1*fx", f"iy={L.s}*oy+1*fy"]
    # ZigZag's own convention (its ONNX conv parser): partially relevant dims IX, IY with the
    # unpadded input size and (before, after) padding each
    pr = {"pr_loop_dims": ["IX", "IY"], "pr_loop_sizes": [L.hw, L.hw], "padding": [[L.p, L.p], [L.p, L.p]]}
    if L.depthwise:
        return [{
            "id": 0, "name": L.name, "operator_type": "Conv",
            "equation": "O[b][g][oy][ox]+=W[g][fy][fx]*I[b][g][iy][ix]",
            "dimension_relations": rel,
            "loop_dims": ["B", "G", "OY", "OX", "FY", "FX"],
            "loop_sizes": [1, L.cout, o, o, L.k, L.k],
            **pr, "operand_precision": prec, "operand_source": {"I": 0, "W": 0}}]
    assert L.groups == 1, "grouped (non-depthwise) layers are not in this benchmark"
    return [{
        "id": 0, "name": L.name, "operator_type": "Gemm" if L.fc else "Conv",
        "equation": "O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]",
        "dimension_relations": rel,
        "loop_dims": ["B", "K", "C", "OY", "OX", "FY", "FX"],
        "loop_sizes": [1, L.cout, L.cin, o, o, L.k, L.k],
        **pr, "operand_precision": prec, "operand_source": {"I": 0, "W": 0}}]


def spatial_unrolling(L: Layer, rows: int, cols: int) -> dict:
    """nnasim's use of the array, as a ZigZag spatial mapping. D1 = columns (filters), D2 = rows
    (the reduction). nnasim flattens the reduction (c, fy, fx) into K rows and folds it by `rows`;
    with cin a multiple of `rows` a fold is `rows` channels of one (fy, fx), i.e. C on D2. A shallow
    reduction (cin < rows) is unrolled over C x FY x FX as far as it fits (ZigZag needs whole factors:
    conv1's 147 rows become 3 x 7 x 3 = 63 per fold, 3 folds, as nnasim's 64 + 64 + 19).
    Depthwise: nnasim packs p = min(rows / 9, cols / 1) channels block-diagonally per fold, p of the
    9-row x 1-column blocks; ZigZag gets the same MACs per cycle as FY x FX on D2 and p channels on D1."""
    M, K, N, G = L.gemm
    if L.depthwise:
        p = min(rows // K, cols // N)
        return {"D1": [f"G, {p}"], "D2": [f"FY, {L.k}", f"FX, {L.k}"]}
    d1 = [f"K, {min(cols, L.cout)}"]
    if L.cin >= rows:
        d2 = [f"C, {rows}"]
    else:
        d2, left = [f"C, {L.cin}"], rows // L.cin
        for dim in ("FY", "FX"):
            f = min(L.k, left)
            if f > 1:
                d2.append(f"{dim}, {f}")
                left //= f
    return {"D1": d1, "D2": d2}


def zigzag_mapping(L: Layer, rows: int, cols: int) -> list:
    links = {"O": "O", "W": "I2", "I": "I1"}
    return [{"name": n, "spatial_mapping": spatial_unrolling(L, rows, cols), "memory_operand_links": dict(links)}
            for n in ("default", L.name)]
