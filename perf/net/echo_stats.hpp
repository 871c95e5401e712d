// Measurement helpers for the echo load client: a fixed-size latency histogram and the CPU-time
// readers for the measured window (/proc/<pid>/stat, /proc/stat, getrusage).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

namespace echo_ref {

// Log-linear latency histogram in nanoseconds: exact below 128 ns, then 64 buckets per power of
// two (under 1.6 % error), fixed size whatever the run length.
class histogram {
public:
    void record(std::uint64_t ns) noexcept {
        ++counts_[index(ns)];
        ++total_;
    }
    void reset() noexcept {
        std::fill(counts_.begin(), counts_.end(), 0);
        total_ = 0;
    }
    /// The q-quantile (0 < q <= 1) in microseconds, 0 when empty.
    double quantile_us(double q) const noexcept {
        const auto target = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen >= target && seen != 0) {
                return static_cast<double>(value(i)) / 1e3;
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
};

// utime + stime of process `pid` in seconds from /proc/<pid>/stat, or -1.
inline double process_cpu_seconds(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line) || line.rfind(')') == std::string::npos) {
        return -1;
    }
    // After "pid (comm)" come state (field 3) ... utime (14) and stime (15).
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int n = 3; n <= 15 && rest >> field; ++n) {
        if (n >= 14) {
            ticks += std::strtod(field.c_str(), nullptr);
        }
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Non-idle time of CPU `cpu` in seconds from /proc/stat (softirq included), or -1.
inline double cpu_busy_seconds(int cpu) {
    std::ifstream in("/proc/stat");
    const std::string label = "cpu" + std::to_string(cpu);
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string name;
        fields >> name;
        if (name != label) {
            continue;
        }
        // user nice system idle iowait irq softirq steal: busy is user..softirq minus idle, iowait.
        double busy = 0;
        double ticks = 0;
        for (int n = 0; n < 8 && fields >> ticks; ++n) {
            busy += (n == 3 || n == 4 || n == 7) ? 0 : ticks;
        }
        return busy / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    return -1;
}

// This process's user + system CPU time in seconds.
inline double own_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

} // namespace echo_ref
