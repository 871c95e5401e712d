// histogram: exact small values, every value within 1.6 % above that, merging, and quantiles
// that never exceed the maximum.
#include "bench/histogram.hpp"

#include <gtest/gtest.h>

namespace coreloop::bench {
namespace {

TEST(BenchHistogram, SmallValuesAreExact) {
    histogram h;
    for (std::uint64_t v = 1; v <= 100; ++v) {
        h.record(v);
    }
    EXPECT_EQ(h.count(), 100U);
    EXPECT_EQ(h.quantile_ns(0.5), 50U);
    EXPECT_EQ(h.quantile_ns(0.99), 99U);
    EXPECT_EQ(h.quantile_ns(1.0), 100U);
    EXPECT_DOUBLE_EQ(h.mean_ns(), 50.5);
}

TEST(BenchHistogram, LargeValuesWithinTheirBucketsPrecision) {
    for (std::uint64_t v : {129ULL, 1000ULL, 123456ULL, 987654321ULL, 3600ULL * 1000000000ULL}) {
        histogram h;
        h.record(v);
        h.record(v * 2); // the maximum, so the quantile below is not capped by it
        const double q = static_cast<double>(h.quantile_ns(0.5));
        EXPECT_NEAR(q, static_cast<double>(v), static_cast<double>(v) * 0.016) << v;
    }
}

TEST(BenchHistogram, MergeAddsCountsAndKeepsTheMaximum) {
    histogram a;
    histogram b;
    for (int i = 0; i < 90; ++i) {
        a.record(1000);
    }
    for (int i = 0; i < 10; ++i) {
        b.record(1000000);
    }
    a.merge(b);
    EXPECT_EQ(a.count(), 100U);
    EXPECT_EQ(a.max_ns(), 1000000U);
    EXPECT_NEAR(static_cast<double>(a.quantile_ns(0.9)), 1000.0, 16.0);
    EXPECT_EQ(a.quantile_ns(0.95), 1000000U); // the bucket's middle is capped at the maximum
    a.reset();
    EXPECT_EQ(a.count(), 0U);
    EXPECT_EQ(a.quantile_ns(0.5), 0U);
}

} // namespace
} // namespace coreloop::bench
