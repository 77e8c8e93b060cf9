// Signed symmetric N-bit integer quantization.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "sim/numeric/int_format.h"
#include "sim/numeric/metrics.h"

using nnasim::numeric::IntFormat;

TEST_CASE("int rounding is round-half-even", "[numeric][int]") {
  using nnasim::numeric::round_half_even;
  CHECK(round_half_even(0.5) == 0.0);
  CHECK(round_half_even(1.5) == 2.0);
  CHECK(round_half_even(2.5) == 2.0);
  CHECK(round_half_even(3.5) == 4.0);
  CHECK(round_half_even(-0.5) == 0.0);
  CHECK(round_half_even(-2.5) == -2.0);
  CHECK(round_half_even(-3.5) == -4.0);
  CHECK(round_half_even(2.5000001) == 3.0);
  CHECK(round_half_even(-2.4999999) == -2.0);

  const IntFormat i8(8);
  CHECK(i8.encode(2.5f, 1.0f) == 2);
  CHECK(i8.encode(3.5f, 1.0f) == 4);
  CHECK(i8.encode(-2.5f, 1.0f) == -2);
  CHECK(i8.encode(126.5f, 1.0f) == 126);
  CHECK(i8.encode(1.25f, 0.5f) == 2);  // 2.5 quanta
  CHECK(i8.encode(1.75f, 0.5f) == 4);  // 3.5 quanta

  // Through quantize(): max|x| = 127 makes the scale exactly 1.
  Eigen::ArrayXf x(7);
  x << 127.0f, 0.5f, 1.5f, 2.5f, -2.5f, -3.5f, 126.5f;
  Eigen::ArrayXf want(7);
  want << 127.0f, 0.0f, 2.0f, 2.0f, -2.0f, -4.0f, 126.0f;
  CHECK(i8.scale_for(x) == 1.0f);
  CHECK((i8.quantize(x) == want).all());
}

TEST_CASE("int saturates symmetrically to +-(2^(N-1)-1)", "[numeric][int]") {
  for (int bits : {2, 4, 6, 8, 16}) {
    const IntFormat f(bits);
    const int qmax = (1 << (bits - 1)) - 1;
    INFO("bits " << bits);
    CHECK(f.qmax() == qmax);
    CHECK(f.encode(1e9f, 1.0f) == qmax);
    CHECK(f.encode(-1e9f, 1.0f) == -qmax);  // never -2^(N-1)
    CHECK(f.encode(qmax + 0.49f, 1.0f) == qmax);
    CHECK(f.encode(std::numeric_limits<float>::infinity(), 1.0f) == qmax);
    CHECK(f.encode(-std::numeric_limits<float>::infinity(), 1.0f) == -qmax);
    CHECK(f.encode(std::nanf(""), 1.0f) == 0);
    // A caller-chosen scale smaller than max|x| / qmax clips the tail.
    Eigen::ArrayXf x(3);
    x << 10.0f * qmax, -10.0f * qmax, 1.0f;
    const Eigen::ArrayXf y = f.quantize_with_scale(x, 1.0f);
    CHECK(y[0] == static_cast<float>(qmax));
    CHECK(y[1] == static_cast<float>(-qmax));
    CHECK(y[2] == 1.0f);
  }
  CHECK_THROWS_AS(IntFormat(1), nnasim::InputError);
  CHECK_THROWS_AS(IntFormat(17), nnasim::InputError);
}

TEST_CASE("int per-tensor scale and zero tensors", "[numeric][int]") {
  const IntFormat i4(4);
  Eigen::ArrayXf x(4);
  x << 0.875f, -1.75f, 0.125f, 0.0f;  // scale 1.75 / 7 = 0.25: 3.5, -7, 0.5, 0 quanta
  CHECK(i4.scale_for(x) == 0.25f);
  const Eigen::ArrayXf y = i4.quantize(x);
  CHECK(y[0] == 1.0f);    // 3.5 -> 4 (even)
  CHECK(y[1] == -1.75f);  // max|x| is exact
  CHECK(y[2] == 0.0f);    // 0.5 -> 0 (even)
  CHECK(y[3] == 0.0f);
  const Eigen::ArrayXf z = Eigen::ArrayXf::Zero(5);
  CHECK(i4.scale_for(z) == 0.0f);
  CHECK(i4.encode(0.0f, 0.0f) == 0);  // no 0/0
  CHECK(i4.encode(3.0f, 0.0f) == 0);  // a zero scale represents only 0
  const Eigen::ArrayXf qz = i4.quantize(z);
  CHECK((qz == 0.0f).all());
  CHECK(qz.allFinite());
  // Non-finite values do not poison the scale.
  Eigen::ArrayXf w(3);
  w << 1.0f, std::numeric_limits<float>::infinity(), std::nanf("");
  CHECK(i4.scale_for(w) == Approx(1.0f / 7.0f));
}

TEST_CASE("int per-channel scales beat a per-tensor scale on mixed ranges", "[numeric][int]") {
  const IntFormat i8(8);
  const int k = 256;
  Eigen::ArrayXf x(2 * k);  // channel-major: channel 0 then channel 1
  for (int i = 0; i < k; ++i) {
    const float u = std::sin(0.37f * i + 0.1f);  // deterministic spread in [-1, 1]
    x[i] = u;                                    // channel 0: range ~1
    x[k + i] = 100.0f * std::cos(0.53f * i);     // channel 1: range ~100
  }
  const Eigen::ArrayXf scales = i8.channel_scales(x, 2);
  REQUIRE(scales.size() == 2);
  CHECK(scales[0] == Approx(x.head(k).abs().maxCoeff() / 127.0f));
  CHECK(scales[1] == Approx(x.tail(k).abs().maxCoeff() / 127.0f));

  const Eigen::ArrayXf per_tensor = i8.quantize(x);
  const Eigen::ArrayXf per_channel = i8.quantize_per_channel(x, 2);
  const double err_t = (per_tensor - x).square().cast<double>().sum();
  const double err_c = (per_channel - x).square().cast<double>().sum();
  CHECK(err_c < err_t);
  // Channel 0 alone gains about 20 log10(100) = 40 dB.
  using nnasim::numeric::sqnr_db;
  const double s0_t = sqnr_db(x.head(k), per_tensor.head(k));
  const double s0_c = sqnr_db(x.head(k), per_channel.head(k));
  INFO("channel 0 SQNR per-tensor " << s0_t << " dB, per-channel " << s0_c << " dB");
  CHECK(s0_c > s0_t + 30.0);
  // Channel 1 holds the global max, so both schemes treat it identically.
  CHECK((per_tensor.tail(k) == per_channel.tail(k)).all());

  CHECK_THROWS_AS(i8.quantize_per_channel(x, 3), nnasim::InternalError);
  CHECK_THROWS_AS(i8.quantize_per_channel(x, 0), nnasim::InternalError);
}
