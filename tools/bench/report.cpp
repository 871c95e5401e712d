// format_table and format_json: the same figures for people and for scripts.
#include "bench/report.hpp"

#include <cinttypes>
#include <cstdio>

namespace coreloop::bench {
namespace {

constexpr double percentiles[] = {0.50, 0.90, 0.99, 0.999};
constexpr const char* percentile_names[] = {"p50", "p90", "p99", "p99.9"};
constexpr const char* percentile_keys[] = {"p50", "p90", "p99", "p999"};

template <class... Args>
std::string format(const char* fmt, Args... args) {
    char buffer[512];
    const int n = std::snprintf(buffer, sizeof buffer, fmt, args...);
    return std::string(buffer, n < 0 ? 0 : std::min<std::size_t>(n, sizeof buffer - 1));
}

/// 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return out;
}

std::string duration_text(double ns) {
    if (ns < 1e6) {
        return format("%.1f µs", ns / 1e3);
    }
    if (ns < 1e9) {
        return format("%.2f ms", ns / 1e6);
    }
    return format("%.2f s", ns / 1e9);
}

std::string shards_text(unsigned first, unsigned count) {
    if (count == 1) {
        return format("shard %u", first);
    }
    return format("shards %u-%u", first, first + count - 1);
}

std::string server_text(const run_report& r) {
    const run_plan& p = r.plan;
    if (p.options.target_host) {
        return "";
    }
    const char* what = p.options.mode == mode::http ? "coreloop-httpd"
                       : p.options.server_streams   ? "echo on streams"
                                                    : "echo on protocols";
    return format(" (embedded server: %s, %s)", what, shards_text(0, p.server_shards).c_str());
}

std::string load_text(const run_report& r) {
    const bench_options& o = r.plan.options;
    std::string text = format("%u connections from %s", o.connections,
                              shards_text(r.plan.client_first, r.plan.client_shards()).c_str());
    if (o.mode == mode::http) {
        text += "; GET";
        for (const std::string& path : o.paths) {
            text += " " + path;
        }
    } else {
        text += format("; %zu-byte messages", o.size);
    }
    if (o.mode == mode::connect) {
        text += "; each connection: connect, one round trip, close";
    } else {
        text += format("; pipeline %u", o.pipeline);
    }
    text += o.rate > 0 ? format("; open loop at %.0f requests/s", o.rate) : "; closed loop";
    return text;
}

/// "12: refused 3, timeout 9", or "none".
std::string errors_text(const shard_result& t) {
    if (t.error_total() == 0) {
        return "none";
    }
    std::string text = with_commas(t.error_total());
    const char* separator = ": ";
    for (std::size_t k = 0; k < error_kind_count; ++k) {
        if (t.errors[k] != 0) {
            text += format("%s%s %s", separator, to_string(static_cast<error_kind>(k)),
                           with_commas(t.errors[k]).c_str());
            separator = ", ";
        }
    }
    return text;
}

/// Server CPU seconds over the window, negative when unknown.
double server_cpu(const run_report& r) {
    if (!r.plan.options.target_host) {
        return r.plan.shards == 1 ? -1 : r.total.server_cpu;
    }
    return r.external_server_cpu;
}

double per_request_us(double seconds, std::uint64_t requests) {
    return requests == 0 || seconds < 0 ? -1 : seconds * 1e6 / static_cast<double>(requests);
}

std::string cpu_text(double us, const char* unknown) {
    return us < 0 ? std::string(unknown) : format("%.2f µs per request", us);
}

std::string json_number(double v) {
    return v < 0 ? "null" : format("%.3f", v);
}

} // namespace

const char* to_string(error_kind kind) noexcept {
    switch (kind) {
    case error_kind::refused:
        return "refused";
    case error_kind::connect_failed:
        return "connect_failed";
    case error_kind::reset:
        return "reset";
    case error_kind::timeout:
        return "timeout";
    case error_kind::short_response:
        return "short_response";
    case error_kind::bad_response:
        return "bad_response";
    case error_kind::http_status:
        return "http_status";
    }
    return "?";
}

std::string format_table(const run_report& r) {
    const shard_result& t = r.total;
    const double mib = 1024.0 * 1024.0 * r.seconds;
    std::string out = format("coreloop-bench %s: %s%s\n", to_string(r.plan.options.mode),
                             r.target.c_str(), server_text(r).c_str());
    out += "  " + load_text(r) + "\n";
    out += format("  measured %.2f s after a %.2f s warm-up; %s\n\n", r.seconds,
                  std::chrono::duration<double>(r.plan.options.warmup).count(), r.backend.c_str());
    const auto row = [&out](const char* name, const std::string& value) {
        out += format("  %-15s %s\n", name, value.c_str());
    };
    row("throughput",
        format("%s requests/s (%s requests)",
               with_commas(static_cast<std::uint64_t>(static_cast<double>(t.requests) / r.seconds))
                       .c_str(),
               with_commas(t.requests).c_str()));
    row("data",
        format("%.2f MiB/s sent, %.2f MiB/s received", static_cast<double>(t.bytes_sent) / mib,
               static_cast<double>(t.bytes_received) / mib));
    for (std::size_t i = 0; i < std::size(percentiles); ++i) {
        const std::string name = std::string("latency ") + percentile_names[i];
        row(name.c_str(),
            duration_text(static_cast<double>(t.latency.quantile_ns(percentiles[i]))));
    }
    row("latency max", duration_text(static_cast<double>(t.latency.max_ns())));
    row("errors", errors_text(t));
    row("client CPU", cpu_text(per_request_us(t.client_cpu, t.requests), "-"));
    row("server CPU",
        cpu_text(per_request_us(server_cpu(r), t.requests),
                 r.plan.options.target_host ? "- (pass --server-pid)"
                                            : "- (one shard serves and loads: see client CPU)"));
    return out;
}

std::string format_json(const run_report& r) {
    const bench_options& o = r.plan.options;
    const shard_result& t = r.total;
    std::string out = format(
            "{\"mode\":\"%s\",\"target\":\"%s\",\"backend\":\"%s\",\"embedded\":%s,\"connections\":"
            "%u,"
            "\"pipeline\":%u,\"size\":%zu,\"rate\":%.3f,\"shards\":%u,\"client_shards\":%u,"
            "\"server_shards\":%u,\"duration_s\":%.3f,\"requests\":%" PRIu64
            ",\"requests_per_s\":%.1f,\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64,
            to_string(o.mode), r.target.c_str(), r.backend.c_str(),
            o.target_host ? "false" : "true", o.connections, o.pipeline, o.size, o.rate,
            r.plan.shards, r.plan.client_shards(), r.plan.server_shards, r.seconds, t.requests,
            static_cast<double>(t.requests) / r.seconds, t.bytes_sent, t.bytes_received);
    out += ",\"latency_us\":{";
    for (std::size_t i = 0; i < std::size(percentiles); ++i) {
        out += format("\"%s\":%.1f,", percentile_keys[i],
                      static_cast<double>(t.latency.quantile_ns(percentiles[i])) / 1e3);
    }
    out += format("\"max\":%.1f,\"mean\":%.1f}", static_cast<double>(t.latency.max_ns()) / 1e3,
                  t.latency.mean_ns() / 1e3);
    out += format(",\"errors\":{\"total\":%" PRIu64, t.error_total());
    for (std::size_t k = 0; k < error_kind_count; ++k) {
        out += format(",\"%s\":%" PRIu64, to_string(static_cast<error_kind>(k)), t.errors[k]);
    }
    out += "}";
    out += ",\"client_cpu_us_per_request\":" +
           json_number(per_request_us(t.client_cpu, t.requests));
    out += ",\"server_cpu_us_per_request\":" +
           json_number(per_request_us(server_cpu(r), t.requests));
    out += "}\n";
    return out;
}

} // namespace coreloop::bench
