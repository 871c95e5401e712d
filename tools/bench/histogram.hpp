// A latency histogram of fixed size whatever the run length (HdrHistogram's idea, log-linear):
// exact below 128 ns, then 64 buckets per power of two, so any value is known within 1.6 %.
// Per-shard histograms merge into one at the end of a run.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace coreloop::bench {

class histogram {
public:
    void record(std::uint64_t ns) noexcept {
        ++counts_[index(ns)];
        ++total_;
        max_ = std::max(max_, ns);
        sum_ += ns;
    }
    void reset() noexcept {
        std::fill(counts_.begin(), counts_.end(), 0);
        total_ = 0;
        max_ = 0;
        sum_ = 0;
    }
    void merge(const histogram& other) noexcept {
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            counts_[i] += other.counts_[i];
        }
        total_ += other.total_;
        max_ = std::max(max_, other.max_);
        sum_ += other.sum_;
    }
    std::uint64_t count() const noexcept { return total_; }
    /// The largest value recorded, exactly (0 when empty).
    std::uint64_t max_ns() const noexcept { return max_; }
    double mean_ns() const noexcept {
        return total_ == 0 ? 0 : static_cast<double>(sum_) / static_cast<double>(total_);
    }
    /// The q-quantile (0 < q <= 1) in nanoseconds, 0 when empty: the middle of the bucket that
    /// holds it, never above max_ns().
    std::uint64_t quantile_ns(double q) const noexcept {
        const auto target = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen >= target && seen != 0) {
                return std::min(value(i), max_);
            }
        }
        return 0;
    }

private:
    static std::size_t index(std::uint64_t v) noexcept {
        if (v < 128) {
            return v;
        }
        const int shift = static_cast<int>(std::bit_width(v)) - 7; // v >> shift is in [64, 127]
        return 128 + static_cast<std::size_t>(shift - 1) * 64 + ((v >> shift) - 64);
    }
    static std::uint64_t value(std::size_t i) noexcept {
        if (i < 128) {
            return i;
        }
        const std::size_t shift = (i - 128) / 64 + 1;
        return (((i - 128) % 64 + 64) << shift) + (std::uint64_t{1} << shift) / 2;
    }

    std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(128 + 57 * 64);
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t sum_ = 0;
};

} // namespace coreloop::bench
