// IPVS programming figures, run inside the VM by bench/ipvs.sh: for each N, the time to
// program N destinations (N/10 services x 10) with directord's client from an empty table,
// the time `ipvsadm -R` takes for the same rules, and the time for a reload that changes
// 1 % of the destinations (reconcile against what was programmed, apply), beside the same
// reload reading the whole kernel table first; then the whole table read in one go (a turn
// of the loop, as start-up adoption was) beside the same read in the programmer's 10 ms steps.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "directord/ipvs/client.hpp"
#include "directord/ipvs/table_reader.hpp"

using namespace directord::ipvs;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

Table table_of(int destinations, std::uint32_t changed_weight) {
    Table t;
    for (int s = 0; s < destinations / 10; ++s) {
        VirtualService vs;
        vs.service.key = ServiceKey{2, 6, boost::asio::ip::make_address("10.1.0.1"),
                                    static_cast<std::uint16_t>(10000 + s), 0};
        for (int d = 0; d < 10; ++d) {
            Destination x;
            x.address = boost::asio::ip::make_address("10.3." + std::to_string(d) + "." +
                                                      std::to_string(s % 250 + 1));
            x.port = static_cast<std::uint16_t>(8000 + s / 250);
            x.weight = (d == 0 && s % 10 == 0) ? changed_weight : 1;  // 1 % of destinations
            vs.destinations.push_back(x);
        }
        t.push_back(vs);
    }
    return t;
}

void write_rules(const Table& t, const char* path) {
    std::ofstream out(path);
    for (const auto& vs : t) {
        out << "-A -t 10.1.0.1:" << vs.service.key.port << " -s wlc\n";
        for (const auto& d : vs.destinations)
            out << "-a -t 10.1.0.1:" << vs.service.key.port << " -r " << d.address.to_string()
                << ":" << d.port << " -m -w " << d.weight << "\n";
    }
}

}  // namespace

// ipvs_bench restore N  `ipvsadm -R` of the rules for N destinations; prints its seconds
// ipvs_bench program N  programs them into an empty table, then reloads with 1 % changed,
//                       then reads the table: prints "programmed S reload S changes COUNT
//                       reread S read S steps COUNT longest S"
int main(int argc, char** argv) {
    if (argc != 3) return 2;
    std::string mode = argv[1];
    int n = std::atoi(argv[2]);
    if (mode == "restore") {
        write_rules(table_of(n, 1), "/tmp/rules");
        auto start = Clock::now();
        if (std::system("ipvsadm -R < /tmp/rules") != 0) return 1;
        std::printf("%.3f\n", seconds_since(start));
        return 0;
    }
    Client ipvs;
    const Managed all = [](const ServiceKey&) { return true; };
    auto want = table_of(n, 1);
    auto start = Clock::now();
    ipvs.apply(reconcile(want, ipvs.read(), all));
    double programmed = seconds_since(start);
    // A reload diffs against what was programmed (the kernel is read at start-up only) ...
    auto next = table_of(n, 5);
    start = Clock::now();
    auto changes = reconcile(next, want, all);
    ipvs.apply(changes);
    double reload = seconds_since(start);
    // ... and, for comparison, against a fresh read of the whole kernel table.
    start = Clock::now();
    auto back = reconcile(want, ipvs.read(), all);
    ipvs.apply(back);
    double reread = seconds_since(start);
    start = Clock::now();
    auto whole = ipvs.read();
    double read = seconds_since(start);
    TableReader reader(ipvs.family());
    double longest = 0;
    auto stepped = reader.read_all(std::chrono::milliseconds(10), [&](auto took) {
        longest = std::max(longest, std::chrono::duration<double>(took).count());
    });
    if (stepped.size() != whole.size()) return 1;
    std::printf(
        "programmed %.3f reload %.3f changes %zu reread %.3f read %.3f steps %zu longest %.4f\n",
        programmed, reload, changes.size(), reread, read, reader.steps(), longest);
    return 0;
}
