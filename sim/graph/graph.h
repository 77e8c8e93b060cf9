// The layer-graph IR: a list of layers in execution (topological) order, each naming its
// producers. Loaders (YAML, ONNX, SCALE-Sim CSV, layer traces) build it through GraphBuilder,
// which infers shapes and checks them; passes (BN folding, activation fusion, quantisation,
// compression) rewrite it; annotate() fills the per-layer cost (MACs, params, bytes).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/common/error.h"
#include "sim/config/hw_spec.h"

namespace nnasim::graph {

enum class Op {
  Input,
  Conv,          // convolution over 1, 2 or 3 spatial dims (D, H, W), grouped, dilated, strided
  FullyConnected,  // Gemm / MatMul / Linear by a weight: classic (fc_rows = 0) flattens C*D*H*W per
                   // sample; fc_rows > 0 multiplies every row of a [n, fc_rows, K] token tensor
  MaxPool,
  AvgPool,
  GlobalAvgPool,
  Add,
  Mul,  // element-wise, with broadcasting of a [C,1,1] operand (squeeze-excite scaling)
  Concat,  // along channels
  Activation,
  BatchNorm,  // left in the graph only when it cannot be folded
  Pad,
  // Added for segmentation, detection, 3-D and transformer networks (issue 10):
  ConvTranspose,  // transposed convolution, lowered to sub-pixel phases (see layer_geo)
  MatMul,         // activation x activation (attention's Q.K^T, P.V): no weights, both operands streamed
  Softmax,        // over the last (channel) axis; vector unit
  LayerNorm,      // over the last (channel) axis, with its affine scale and shift; vector unit
  Resize,         // nearest or (bi/tri)linear up/down-sampling; vector unit
  Transpose,      // a permutation that moves data (one vector op per element); views make no layer
  Slice,          // Slice, Split, Gather on constant indices: a copy unless the part is contiguous
  Reduce,         // ReduceMean/Sum/Max over axes other than global H, W; vector unit
  Unsupported,    // an operator nnasim does not know (--allow-unknown-ops): zero MACs, no vector work
};
const char* to_string(Op op);
bool parse_op(const std::string& s, Op* out);

enum class Act { None, Relu, Relu6, Sigmoid, HardSigmoid, HardSwish, Clip, Tanh, Silu, Gelu, Erf, Sqrt, Pow, Exp };
const char* to_string(Act a);
bool parse_act(const std::string& s, Act* out);

// The scheduler's view of a tensor of any rank: N, C, (D,) H, W. Spatial tensors are
// channels-first: [N, C, L] is {N, C, H=1, W=L}, [N, C, D, H, W] has d = D. Token tensors are
// channels-last: [B, ..., S, E] is {n=B, c=E, h=product of the middle axes, w=1}. d is the depth
// of 3-D tensors (1 otherwise) and comes last so that {n, c, h, w} initialisers keep their meaning.
// Fully-connected outputs are [N, C, 1, 1]. The scheduler folds n, d and h into rows.
struct Shape {
  int64_t n = 1, c = 0, h = 1, w = 1, d = 1;
  int64_t elements() const { return n * c * d * h * w; }
  int64_t rows() const { return n * d * h; }
  bool operator==(const Shape& o) const { return n == o.n && c == o.c && h == o.h && w == o.w && d == o.d; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;
};

struct Quant {
  int weight_bits = 8;
  int act_bits = 8;
  int bias_bits = 32;
  NumFormat format = NumFormat::Int;
};

// Weight compression applied to a layer's stored weights (cluster compression).
struct Compression {
  int clusters = 0;              // K; 0 = uncompressed
  int64_t index_bits = 0;        // per kernel: log2(K)
  int64_t kernels = 0;
  int64_t codebook_entries = 0;  // K * kernel size
  int scale_bits = 16;           // per-kernel scale (FP16 in the reference code)
};

// Optional real tensors (from an ONNX file with weights), used by BN folding and numerics.
struct Tensors {
  std::vector<float> weight;  // Conv: [Cout, Cin/g, kh, kw]; FC: [out, in]
  std::vector<float> bias;    // [Cout]
  // BatchNorm parameters (only on Op::BatchNorm layers).
  std::vector<float> gamma, beta, mean, var;
  float eps = 1e-5f;
  bool empty() const { return weight.empty() && bias.empty() && gamma.empty(); }
};

struct Cost {
  int64_t macs = 0;
  int64_t weights = 0;   // weight elements
  int64_t biases = 0;    // bias elements
  int64_t params = 0;    // weights + biases
  int64_t weight_bytes = 0;  // as stored in DRAM/OCM: weights at weight_bits (or compressed) + biases
  int64_t input_bytes = 0;   // all inputs, at act_bits
  int64_t output_bytes = 0;
  int64_t vector_ops = 0;    // element-wise operations (pool, add, mul, concat copy, standalone activation)
};

struct Layer {
  std::string name;
  Op op = Op::Input;
  std::vector<int> inputs;  // indices of producers, always < this layer's index
  SourceLoc loc;            // where it was defined, for errors

  // Conv / pooling geometry.
  int kh = 1, kw = 1;
  int sh = 1, sw = 1;
  int pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
  int dh = 1, dw = 1;  // dilation
  int kd = 1, sd = 1, dd = 1, pad_f = 0, pad_k = 0;  // depth (3-D): kernel, stride, dilation, front/back pad
  int out_pad_d = 0, out_pad_h = 0, out_pad_w = 0;   // ConvTranspose output_padding
  int spatial_dims = 2;      // Conv/ConvTranspose/Resize: 1, 2 or 3
  int64_t fc_rows = 0;       // FullyConnected: rows per sample of a token tensor (0 = classic flatten)
  int64_t mm_groups = 1, mm_m = 0, mm_k = 0, mm_n = 0;  // MatMul: per sample, G independent [M,K]x[K,N]
  int64_t elem_ops = 1;      // Resize/Softmax/LayerNorm/Slice/Transpose: vector ops per output element
  bool out_given = false;    // layout ops, Resize, Reduce, Unsupported: `out` set by the loader, checked
  std::string fn;            // the source operator (ONNX op_type) of vector layers, for fusion and reports
  std::vector<Shape> in_views;  // per input: the view this layer reads it in (empty/zero c: the producer's)
  int groups = 1;
  int64_t out_channels = 0;  // Conv/FC
  bool has_bias = false;
  bool ceil_mode = false;    // pooling output rounding

  Act act = Act::None;                // Op::Activation: which one
  std::vector<Act> fused;             // activations fused into this layer's output
  bool bn_folded = false;             // a BatchNorm was folded into this layer

  Quant quant;
  Compression compression;
  Shape out;
  Cost cost;
  std::optional<Tensors> tensors;

  bool has_weights() const { return op == Op::Conv || op == Op::FullyConnected || op == Op::ConvTranspose; }
  bool depthwise() const { return op == Op::Conv && groups > 1 && groups == out_channels; }
};

struct Graph {
  std::string name;
  std::string file;
  std::vector<Layer> layers;
  // Inferences computed by one run of the graph. shape_batch of them are in the layers' shapes
  // (an ONNX input with a fixed batch dimension); the rest (batch / shape_batch copies, `replicas()`)
  // are folded in by annotate() (costs) and layer_geo() (rows): one load of the weights per batch.
  int64_t batch = 1, shape_batch = 1;
  int64_t replicas() const { return shape_batch > 0 ? batch / shape_batch : 1; }

  int find(const std::string& name) const;  // -1 when absent
  std::vector<std::vector<int>> consumers() const;
  Cost totals() const;
};

// Builds a graph layer by layer, inferring and checking shapes as it goes. Every error names the
// layer's SourceLoc.
class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name, std::string file);
  // Adds a layer; `l.inputs` must be set (or empty for Input with l.out set). Returns its index.
  // Every size is checked before any product is formed (check_layer); the name is looked up
  // in a hash index, so building a graph of n layers takes O(n).
  int add(Layer l);
  Graph finish();  // checks the graph is non-empty and every layer's output is used or final
  const Graph& graph() const { return g_; }
  Graph& mutable_graph() { return g_; }
  int find(const std::string& name) const;  // as Graph::find, in O(1)

 private:
  Graph g_;
  std::unordered_map<std::string, int> index_;
};

// The shape in which layer l reads its input i: its own view when it set one, else the producer's.
const Shape& input_shape(const Graph& g, const Layer& l, size_t i);

// Runs the graph on `batch` inferences (--batch). A graph whose shapes fix a batch (shape_batch
// > 1) accepts only a multiple of it; `where` names the option for the error.
void set_batch(Graph& g, int64_t batch, const SourceLoc& where);

// The documented limits on a layer's user-given values (sim/common/checked.h: every dimension
// 1..2^31-1, pads 0..2^31-1, window extent dilation*(kernel-1)+1 and padded input within 2^31-1,
// bit widths 1..32 (bias 1..64), names UTF-8 up to 1024 bytes). Throws InputError at l.loc
// naming the key and the limit. Called by GraphBuilder::add for every loader.
void check_layer(const Layer& l, const std::vector<Shape>& in);
// FP8 formats have 8-bit weights and activations (checked again after --weight-bits and the like).
void check_format_bits(const Layer& l);
// The output shape's limits: every dimension within 2^31-1, the tensor within 2^48 bytes.
void check_output(const Layer& l);

// Output shape of a layer from its inputs' shapes; throws InputError at l.loc when they disagree.
Shape infer_shape(const Layer& l, const std::vector<Shape>& in);

// Fills every layer's Cost from its shapes and Quant.
void annotate(Graph& g);

}  // namespace nnasim::graph
