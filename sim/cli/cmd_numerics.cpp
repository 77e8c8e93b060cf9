// nnasim numerics: the numerical error of a number format on a model, per layer and end to end,
// against FP32 (sim/numeric/numerics.h), and with --compress the cost of cluster compression in
// bytes and in error.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>

#include "sim/cli/commands.h"
#include "sim/run/run.h"
#include "sim/common/error.h"
#include "sim/config/hw_config.h"
#include "sim/graph/compress.h"
#include "sim/graph/load.h"
#include "sim/graph/passes.h"
#include "sim/numeric/functional.h"
#include "sim/numeric/metrics.h"
#include "sim/numeric/numerics.h"

namespace nnasim::cli {

namespace {

struct NumericsArgs {
  std::string model;
  std::string number_format;
  std::string lns_convert;
  std::string hw;
  uint64_t seed = 1;
  std::string compress;
  std::optional<int> weight_bits;
  std::string format = "table";
  std::string output;
  int threads = 2;
  bool allow_unknown_ops = false;
};

// JSON has no infinities: an exact match (SQNR +inf) is written as null.
nlohmann::json db(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
std::string db_text(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "exact" : "-inf";
  return fmt::format("{:.2f}", v);
}

numeric::Datapath make_datapath(const NumericsArgs& a) {
  const SourceLoc where{"--number-format", 0};
  std::optional<numeric::Convert> convert;
  if (!a.lns_convert.empty()) {
    if (a.lns_convert == "exact") convert = numeric::Convert::Exact;
    else if (a.lns_convert == "mitchell") convert = numeric::Convert::Mitchell;
    else throw InputError({"--lns-convert", 0}, fmt::format("unknown conversion '{}': expected exact or mitchell", a.lns_convert));
  }
  if (!a.hw.empty()) {
    // The chip's LNS unit: the same parameters that drive its LnsUnit timing and energy.
    const HardwareSpec hw = config::load_hardware(a.hw);
    if (!a.number_format.empty() && a.number_format != "lns")
      throw InputError(where, fmt::format("with --hw the format comes from the chip's lns section: give "
                                          "--number-format lns or none, not '{}'", a.number_format));
    if (hw.mac.arithmetic != NumFormat::Lns)
      throw InputError({a.hw, 0}, "--hw names a chip whose mac_array.arithmetic is not lns");
    numeric::LnsParams p;
    p.int_bits = hw.lns.int_bits;
    p.frac_bits = hw.lns.frac_bits;
    p.convert = hw.lns.convert == LnsConvert::Mitchell ? numeric::Convert::Mitchell : numeric::Convert::Exact;
    if (convert) p.convert = *convert;
    p.lut_frac_bits = numeric::default_lut_frac_bits(p.frac_bits);
    return numeric::Datapath(std::make_shared<numeric::LnsFormat>(p, SourceLoc{a.hw, 0}));
  }
  if (a.number_format.empty())
    throw InputError(where, "no number format: give --number-format (int8, int6, int4, fp8-e4m3, fp8-e5m2, "
                            "lns8, intN, lnsN) or --hw with an LNS chip");
  return numeric::Datapath::from_spec(a.number_format, convert, where);
}

int numerics(const NumericsArgs& a) {
  if (a.format != "table" && a.format != "json")
    throw InputError({"--format", 0}, fmt::format("unknown output format '{}': expected table or json", a.format));
  if (a.threads < 1 || a.threads > 2)
    throw InputError({"--threads", 0}, fmt::format("{} threads: expected 1 or 2", a.threads));
  const numeric::Datapath dp = make_datapath(a);
  std::optional<graph::CompressSpec> spec;
  if (!a.compress.empty()) spec = graph::parse_compress(a.compress, {"--compress", 0});

  run::ModelSpec ms;  // the run recipe; compression comes after the weights exist
  ms.model = a.model.empty() ? default_model() : a.model;
  ms.allow_unknown_ops = a.allow_unknown_ops;
  ms.prepare = prepare_options(a.weight_bits, std::nullopt, "");
  graph::Graph g = run::load_prepared(ms);
  numeric::check_functional(g);
  numeric::materialize_weights(g, a.seed);  // seeded He-normal where the model has no weights
  std::optional<graph::Graph> original;     // with --compress: the FP32 reference keeps these weights
  if (spec) {
    original = g;
    run::compress(g, *spec, a.seed);
  }
  numeric::NumericsOptions no;
  no.seed = a.seed;
  no.threads = a.threads;
  const numeric::NumericsResult r = numeric::analyse_numerics(original ? *original : g, g, dp, no);
  // SQNR of the clustered weights against the originals, per compressed layer.
  auto weight_sqnr = [&](int i) {
    const auto& w0 = original->layers[i].tensors->weight;
    const auto& w1 = g.layers[i].tensors->weight;
    return numeric::sqnr_db(Eigen::Map<const Eigen::ArrayXf>(w0.data(), Eigen::Index(w0.size())),
                            Eigen::Map<const Eigen::ArrayXf>(w1.data(), Eigen::Index(w1.size())));
  };
  const graph::CompressionTotals ct = graph::compression_totals(g);

  if (a.format == "json") {
    nlohmann::json j;
    j["model"] = g.name;
    j["format"] = dp.name();
    j["seed"] = a.seed;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& row : r.layers) {
      const graph::Layer& l = g.layers[row.layer];
      nlohmann::json o{{"name", l.name}, {"op", graph::to_string(l.op)}, {"sqnr_db", db(row.sqnr_db)}};
      if (spec) {
        o["clusters"] = l.compression.clusters;
        o["uncompressed_weight_bytes"] = graph::uncompressed_weight_bytes(l);
        o["weight_bytes"] = l.cost.weight_bytes;
        o["compression_ratio"] = graph::compression_ratio(l);
        if (l.compression.clusters > 0) o["weight_sqnr_db"] = db(weight_sqnr(row.layer));
      }
      layers.push_back(std::move(o));
    }
    j["layers"] = std::move(layers);
    j["mac_layers"] = r.mac_layers;
    j["mean_sqnr_db"] = db(r.mean_sqnr_db);
    j["end_to_end_sqnr_db"] = db(r.end_to_end_sqnr_db);
    if (spec)
      j["compression"] = {{"spec", a.compress},
                          {"compressed_layers", ct.compressed_layers},
                          {"uncompressed_weight_bytes", ct.uncompressed_bytes},
                          {"weight_bytes", ct.compressed_bytes},
                          {"compression_ratio", ct.ratio}};
    emit(a.output, [&](std::ostream& os) { os << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n"; });
    return 0;
  }

  emit(a.output, [&](std::ostream& os) {
    os << fmt::format("model {}   format {}   seed {}{}\n", g.name, dp.name(), a.seed,
                      spec ? "   compress " + a.compress : "");
    os << fmt::format("{:<28} {:<14} {:>10}", "layer", "op", "SQNR dB");
    if (spec) os << fmt::format(" {:>8} {:>12} {:>12} {:>7} {:>10}", "K", "bytes", "compressed", "ratio", "weight dB");
    os << "\n";
    for (const auto& row : r.layers) {
      const graph::Layer& l = g.layers[row.layer];
      os << fmt::format("{:<28} {:<14} {:>10}", l.name, graph::to_string(l.op), db_text(row.sqnr_db));
      if (spec && l.has_weights())
        os << fmt::format(" {:>8} {:>12} {:>12} {:>7.2f} {:>10}",
                          l.compression.clusters ? std::to_string(l.compression.clusters) : "-",
                          graph::uncompressed_weight_bytes(l), l.cost.weight_bytes, graph::compression_ratio(l),
                          l.compression.clusters ? db_text(weight_sqnr(row.layer)) : "");
      os << "\n";
    }
    os << fmt::format("mean SQNR over {} MAC layers: {} dB\n", r.mac_layers, db_text(r.mean_sqnr_db));
    os << fmt::format("end-to-end SQNR: {} dB\n", db_text(r.end_to_end_sqnr_db));
    if (spec)
      os << fmt::format("weights: {} -> {} bytes ({} layers compressed), ratio {:.2f}\n", ct.uncompressed_bytes,
                        ct.compressed_bytes, ct.compressed_layers, ct.ratio);
  });
  return 0;
}

}  // namespace

void register_numerics(CLI::App& app, Registry& reg) {
  auto na = std::make_shared<NumericsArgs>();
  auto& a = *na;
  CLI::App* cmd = app.add_subcommand("numerics", "per-layer and end-to-end SQNR of a number format against FP32");
  cmd->add_option("--model", a.model, "model file or zoo name (default: " + default_model() + ")");
  cmd->add_option("--number-format", a.number_format,
                  "int8, int6, int4, intN, fp8-e4m3, fp8-e5m2, lns8, lnsN, lnsN-mitchell, fp32");
  cmd->add_option("--lns-convert", a.lns_convert, "LNS log->linear conversion: exact (table) or mitchell (1 + f)");
  cmd->add_option("--hw", a.hw, "take the LNS parameters from this chip's lns section (format lns)");
  cmd->add_option("--seed", a.seed, "seed of the random weights (models without them) and of the input (default 1)");
  cmd->add_option("--compress", a.compress, "cluster compression first, e.g. cluster:64");
  cmd->add_option("--weight-bits", a.weight_bits, "weight bits of every conv/fc layer (for the byte counts)");
  cmd->add_option("--format", a.format, "table or json");
  cmd->add_option("-o,--output", a.output, "write to FILE");
  cmd->add_option("--threads", a.threads, "1 or 2: run the end-to-end pass beside the per-layer pass (default 2)");
  cmd->add_flag("--allow-unknown-ops", a.allow_unknown_ops, "ONNX: cost unknown operators as element-wise layers");
  reg.push_back({cmd, [na] { return numerics(*na); }});
}

}  // namespace nnasim::cli
