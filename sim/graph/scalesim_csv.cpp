// SCALE-Sim v2 topology CSV import, following scalesim/topology_utils.py of
// github.com/scalesim-project/scale-sim-v2 (load_arrays_conv, load_arrays_gemm,
// append_topo_arrays, topo_calc_hyperparams):
//
// - The first line is a header and is skipped; blank lines are skipped. Each row is split at
//   commas and the text after the last comma is dropped (rows end with a comma; SCALE-Sim's own
//   files put comments such as "#dw" there). Columns: layer name, IFMAP height, IFMAP width,
//   filter height, filter width, channels, number of filters, stride, and optionally a 9th column:
//   then the 8th is the vertical stride and the 9th the horizontal one.
// - No padding: ofmap = ceil((ifmap - filter + stride) / stride), MACs = ofmap_h * ofmap_w *
//   filter_h * filter_w * channels * filters.
// - A layer whose name contains "DP" (case-sensitive) is depthwise: SCALE-Sim replaces it by
//   `channels` layers "<name>Channel_<i>", each with 1 channel and the row's number of filters.
//   nnasim keeps it as one grouped conv with groups = channels and out_channels = channels *
//   filters, which has the same MACs and the same per-group shape; with "Num Filter" = 1 (as in
//   SCALE-Sim's MobileNet files) it is a true depthwise conv.
// - A GEMM topology (header "Layer, M, N, K,"; SCALE-Sim's `-i gemm` mode) is recognised by its
//   header and mapped as SCALE-Sim maps it: a conv on an M x K ifmap with one channel and N
//   filters of 1 x K, i.e. M output pixels, a window of K, N filters.
//
// SCALE-Sim simulates every row on its own, its ifmap read from DRAM and its ofmap written back;
// rows are not connected (ResNet's rows repeat shapes, branches and shortcuts are not described).
// So each row becomes an Input of the row's IFMAP shape followed by one conv reading it: the
// graph is a set of independent single-layer chains, in row order. Everything is 8-bit, as
// SCALE-Sim's word size is 1 byte; the convs have no bias.
#include "sim/graph/scalesim_csv.h"

#include <sstream>

#include "sim/common/files.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <unordered_map>

namespace nnasim::graph {
namespace {

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t c = s.find(',', start);
    out.push_back(trim(s.substr(start, c == std::string::npos ? std::string::npos : c - start)));
    if (c == std::string::npos) return out;
    start = c + 1;
  }
}

bool parse_int(const std::string& s, int64_t* out) {
  std::string t = !s.empty() && s[0] == '+' ? s.substr(1) : s;
  if (t.empty()) return false;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), *out);
  return ec == std::errc() && p == t.data() + t.size();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char* kConvColumns[] = {"Layer name",   "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width",
                              "Channels",     "Num Filter",   "Strides",     "Stride width"};
const char* kGemmColumns[] = {"Layer", "M", "N", "K"};
const char* kHeader =
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,";

// The value that makes GraphBuilder's floor rule, out = floor((in + pad - k) / s) + 1, give
// SCALE-Sim's ceil((in - k + s) / s) = ceil((in - k) / s) + 1: pad the end by what the last,
// partial window lacks. SCALE-Sim counts that window (its MACs and its ofmap pixel); the padding
// is nnasim's way of saying so. It is 0 whenever (in - k) is a multiple of s, where both rules
// agree (e.g. CB3a_1 of ResNet-50: 56x56, 1x1, stride 2 -> SCALE-Sim 29, floor rule 28).
int scalesim_end_pad(int64_t in, int64_t k, int64_t s) { return static_cast<int>((s - (in - k) % s) % s); }

}  // namespace

Graph load_scalesim_csv(const std::string& path) {
  std::istringstream f(read_text_file(path, "a SCALE-Sim topology CSV"));  // directory, empty, UTF-8 checked
  GraphBuilder b(std::filesystem::path(path).stem().string(), path);
  Quant q;  // SCALE-Sim's word size is one byte for ifmap, filter and ofmap
  q.weight_bits = q.act_bits = q.bias_bits = 8;

  std::string line;
  int line_no = 0;
  bool gemm = false;
  int rows = 0;
  std::unordered_map<std::string, int> seen;  // SCALE-Sim allows repeated names; nnasim needs unique ones
  while (std::getline(f, line)) {
    ++line_no;
    if (line_no == 1) {
      if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line = line.substr(3);  // UTF-8 BOM
      auto h = split(line);
      if (h.empty() || lower(h[0]).rfind("layer", 0) != 0)
        throw InputError({path, 1}, fmt::format("expected the SCALE-Sim header '{}' (or 'Layer, M, N, K,' for a GEMM "
                                                "topology); SCALE-Sim skips the first line, so a layer here would be "
                                                "lost",
                                                kHeader));
      gemm = h.size() >= 4 && lower(h[1]) == "m" && lower(h[2]) == "n" && lower(h[3]) == "k";
      continue;
    }
    std::string row = trim(line);
    if (row.empty()) continue;
    const SourceLoc loc{path, line_no};
    auto fields = split(row);
    // SCALE-Sim drops the text after the last comma. A number there means the row lacks its
    // trailing comma and SCALE-Sim would silently lose that column: say so instead.
    std::string tail = fields.back();
    fields.pop_back();
    int64_t dummy;
    if (parse_int(tail, &dummy))
      throw InputError(loc, fmt::format("the row does not end with a comma: SCALE-Sim ignores the text after the "
                                        "last comma ('{}'); add a trailing comma",
                                        tail));
    const char* const* names = gemm ? kGemmColumns : kConvColumns;
    const size_t min_cols = gemm ? 4 : 8, max_cols = gemm ? 4 : 9;
    if (fields.size() < min_cols || fields.size() > max_cols) {
      std::string expect = gemm ? "4 comma-terminated values: Layer, M, N, K"
                                : "8 comma-terminated values (" + std::string(kHeader) +
                                      ") or 9 with separate vertical and horizontal strides";
      throw InputError(loc, fmt::format("{} column{}: expected {}; got {}",
                                        fields.size() < min_cols ? "missing" : "too many",
                                        fields.size() < min_cols ? fmt::format(" '{}'", names[fields.size()]) : "s",
                                        expect, fields.size()));
    }
    std::vector<int64_t> v(fields.size(), 0);
    for (size_t i = 1; i < fields.size(); ++i) {
      const char* col = i == 7 && fields.size() == 9 ? "Stride height" : names[i];
      if (!parse_int(fields[i], &v[i]))
        throw InputError(loc, fmt::format("column '{}' is '{}': expected a whole number", col, fields[i]));
      if (v[i] < 1) throw InputError(loc, fmt::format("column '{}' is {}: expected a positive size", col, v[i]));
      if (v[i] > (int64_t(1) << 30)) throw InputError(loc, fmt::format("column '{}' is {}: too large", col, v[i]));
    }
    // Entries as SCALE-Sim stores them: ifmap h, w, filter h, w, channels, filters, stride h, w.
    int64_t ih, iw, fh, fw, ch, nf, sh, sw;
    if (gemm) {
      const int64_t m = v[1], n = v[2], k = v[3];
      ih = m, iw = k, fh = 1, fw = k, ch = 1, nf = n, sh = sw = 1;  // load_arrays_gemm: [m, k, 1, k, 1, n, 1, 1]
    } else {
      ih = v[1], iw = v[2], fh = v[3], fw = v[4], ch = v[5], nf = v[6], sh = v[7];
      sw = fields.size() == 9 ? v[8] : v[7];
    }
    if (fh > ih)
      throw InputError(loc, fmt::format("Filter Height {} is larger than IFMAP Height {}", fh, ih));
    if (fw > iw)
      throw InputError(loc, fmt::format("Filter Width {} is larger than IFMAP Width {}", fw, iw));

    // A repeated name gets the first free suffix _2, _3, ... such that neither the layer nor its
    // "/ifmap" input collides with a name already taken (rows "a", "a", "a_2"; or "b", "b/ifmap").
    const std::string base = fields[0].empty() ? fmt::format("layer_{}", line_no) : fields[0];
    std::string name = base;
    for (int k = ++seen[base]; b.find(name) >= 0 || b.find(name + "/ifmap") >= 0; ++k) name = fmt::format("{}_{}", base, k);
    const bool dp = !gemm && fields[0].find("DP") != std::string::npos;

    Layer in;
    in.op = Op::Input;
    in.name = name + "/ifmap";
    in.loc = loc;
    in.quant = q;
    in.out = {1, ch, ih, iw};
    int in_idx = b.add(std::move(in));

    Layer l;
    l.op = Op::Conv;
    l.name = name;
    l.loc = loc;
    l.quant = q;
    l.inputs = {in_idx};
    l.kh = static_cast<int>(fh), l.kw = static_cast<int>(fw);
    l.sh = static_cast<int>(sh), l.sw = static_cast<int>(sw);
    l.pad_b = scalesim_end_pad(ih, fh, sh);
    l.pad_r = scalesim_end_pad(iw, fw, sw);
    l.groups = dp ? static_cast<int>(ch) : 1;
    l.out_channels = dp ? ch * nf : nf;
    l.has_bias = false;
    b.add(std::move(l));
    ++rows;
  }
  if (line_no == 0) throw InputError({path, 0}, fmt::format("the file is empty: expected the header '{}' and rows", kHeader));
  if (rows == 0) throw InputError({path, 0}, "the topology has no layers: expected rows after the header");
  return b.finish();
}

}  // namespace nnasim::graph
