// CPU-time readers for a measured window: this thread's (one shard), this process's, another
// process's (/proc/<pid>/stat) and one CPU's busy time (/proc/stat).
#pragma once

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

namespace coreloop::bench {

/// The calling thread's user + system CPU time in seconds.
inline double thread_cpu_seconds() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// This process's user + system CPU time in seconds.
inline double own_cpu_seconds() noexcept {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/// utime + stime of process `pid` in seconds from /proc/<pid>/stat (all its threads), or -1.
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
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// Non-idle time of CPU `cpu` in seconds from /proc/stat (softirq included), or -1.
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
        // user nice system idle iowait irq softirq steal: busy is all but idle, iowait, steal.
        double busy = 0;
        double ticks = 0;
        for (int n = 0; n < 8 && fields >> ticks; ++n) {
            busy += (n == 3 || n == 4 || n == 7) ? 0 : ticks;
        }
        return busy / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
    return -1;
}

} // namespace coreloop::bench
