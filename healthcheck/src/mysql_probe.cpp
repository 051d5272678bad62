// MySQL and Galera (wsrep) checks through MariaDB Connector/C's non-blocking API: every
// *_start/_cont step that would block returns the socket events it waits for, which the event
// loop waits on; the probe's own deadline ends a frozen server's attempt. Host names are never
// resolved here (the target is an address), because the connector's resolver blocks.
#include <fmt/format.h>
#include <mysql.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>

#include "directord/duration.hpp"
#include "directord/healthcheck/probes.hpp"
#include "directord/healthcheck/scheduler.hpp"

namespace directord::healthcheck {

std::string judge_wsrep(const std::map<std::string, std::string>& status, bool donor_ok) {
    auto value = [&](const char* name) -> std::string {
        auto it = status.find(name);
        return it == status.end() ? "" : it->second;
    };
    if (!status.contains("wsrep_local_state")) return "not a Galera node (no wsrep_local_state)";
    if (value("wsrep_cluster_status") != "Primary")
        return fmt::format("wsrep_cluster_status={}", value("wsrep_cluster_status"));
    if (value("wsrep_connected") != "ON")
        return fmt::format("wsrep_connected={}", value("wsrep_connected"));
    if (value("wsrep_ready") != "ON") return fmt::format("wsrep_ready={}", value("wsrep_ready"));
    auto state = value("wsrep_local_state");
    if (state == "4" || (state == "2" && donor_ok)) return {};
    return fmt::format("wsrep_local_state={} ({})", state, value("wsrep_local_state_comment"));
}

namespace {

class MysqlProbe : public Probe {
  public:
    MysqlProbe(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint target, std::string user,
               std::string password, std::string query, std::optional<bool> galera_donor_ok)
        : io_(io),
          target_(target),
          user_(std::move(user)),
          password_(std::move(password)),
          query_(std::move(query)),
          galera_donor_ok_(galera_donor_ok) {}

    ~MysqlProbe() override { *alive_ = false; }

    void run(std::chrono::microseconds timeout, ProbeHandler done) override {
        auto attempt = std::make_shared<Attempt>(io_, std::move(done), alive_);
        attempt->galera_donor_ok = galera_donor_ok_;
        attempt->query = galera_donor_ok_ ? "SHOW GLOBAL STATUS LIKE 'wsrep_%'" : query_;
        attempt->deadline.expires_after(timeout);
        attempt->deadline.async_wait([attempt, timeout](const boost::system::error_code& ec) {
            if (!ec) attempt->finish(false, "timed out after " + format_duration(timeout));
        });
        mysql_init(&attempt->mysql);
        attempt->initialised = true;
        mysql_options(&attempt->mysql, MYSQL_OPT_NONBLOCK, nullptr);
        MYSQL* ignored = nullptr;
        int status = mysql_real_connect_start(
            &ignored, &attempt->mysql, target_.address().to_string().c_str(), user_.c_str(),
            password_.c_str(), nullptr, target_.port(), nullptr, 0);
        attempt->step(
            status,
            [](Attempt& a, int ready) {
                MYSQL* ret = nullptr;
                return mysql_real_connect_cont(&ret, &a.mysql, ready);
            },
            &Attempt::connected);
    }

  private:
    struct Attempt : std::enable_shared_from_this<Attempt> {
        using Continue = int (*)(Attempt&, int ready);
        using Next = void (Attempt::*)();

        Attempt(boost::asio::io_context& io, ProbeHandler d, std::shared_ptr<bool> owner_alive)
            : socket(io), deadline(io), done(std::move(d)), alive(std::move(owner_alive)) {}
        boost::asio::io_context& io() {
            return static_cast<boost::asio::io_context&>(socket.get_executor().context());
        }
        ~Attempt() {
            if (socket.is_open()) socket.release();  // the connector owns the descriptor
            if (initialised) mysql_close(&mysql);
        }

        // Waits for what the connector asked for, then continues, until the step completes.
        void step(int status, Continue cont, Next next) {
            if (finished) return;
            if (status == 0) {
                (this->*next)();
                return;
            }
            if (!socket.is_open()) {
                int fd = mysql_get_socket(&mysql);
                if (fd < 0) {
                    finish(false, "no socket");
                    return;
                }
                socket.assign(fd);
            }
            auto self = shared_from_this();
            // The connector's work (hashing, parsing) is check work: done in a slice.
            auto resume = [self, cont, next](int ready) {
                Scheduler::of(self->io()).defer([self, cont, next, ready] {
                    if (self->finished) return;
                    self->step(cont(*self, ready), cont, next);
                });
            };
            if (status & MYSQL_WAIT_WRITE) {
                socket.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                                  [resume](const boost::system::error_code& ec) {
                                      if (!ec) resume(MYSQL_WAIT_WRITE);
                                  });
            } else if (status & (MYSQL_WAIT_READ | MYSQL_WAIT_EXCEPT)) {
                socket.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                                  [resume](const boost::system::error_code& ec) {
                                      if (!ec) resume(MYSQL_WAIT_READ);
                                  });
            } else {
                // Only a connector-internal timeout was asked for; our deadline covers it.
                boost::asio::post(socket.get_executor(), [resume] { resume(MYSQL_WAIT_TIMEOUT); });
            }
        }

        void connected() {
            if (mysql_errno(&mysql)) {
                finish(false, mysql_error(&mysql));
                return;
            }
            int err = 0;
            step(
                mysql_real_query_start(&err, &mysql, query.c_str(), query.size()),
                [](Attempt& a, int ready) {
                    int e = 0;
                    return mysql_real_query_cont(&e, &a.mysql, ready);
                },
                &Attempt::queried);
        }

        void queried() {
            if (mysql_errno(&mysql)) {
                finish(false, fmt::format("query failed: {}", mysql_error(&mysql)));
                return;
            }
            step(
                mysql_store_result_start(&result, &mysql),
                [](Attempt& a, int ready) {
                    return mysql_store_result_cont(&a.result, &a.mysql, ready);
                },
                &Attempt::stored);
        }

        void stored() {
            if (!result) {
                finish(false, mysql_errno(&mysql)
                                  ? fmt::format("query failed: {}", mysql_error(&mysql))
                                  : "the query returned no result set");
                return;
            }
            // store_result has read every row: fetching does no I/O.
            std::map<std::string, std::string> rows;
            std::size_t count = 0;
            while (MYSQL_ROW row = mysql_fetch_row(result)) {
                ++count;
                if (mysql_num_fields(result) >= 2 && row[0]) rows[row[0]] = row[1] ? row[1] : "";
            }
            mysql_free_result(result);
            result = nullptr;
            if (galera_donor_ok) {
                auto problem = judge_wsrep(rows, *galera_donor_ok);
                auto state = rows["wsrep_local_state_comment"];
                finish(problem.empty(),
                       problem.empty() ? fmt::format("{}, {}", state, rows["wsrep_cluster_status"])
                                       : problem);
                return;
            }
            finish(count > 0,
                   count > 0 ? fmt::format("{} row(s)", count) : "the query returned no rows");
        }

        void finish(bool ok, std::string reason) {
            if (finished) return;
            finished = true;
            deadline.cancel();
            // Hand the descriptor back now, in the same turn as the connector's last call: after
            // an error the connector may already have closed it, and its number could be reused
            // by another probe before a later release would remove *that* one from epoll.
            if (socket.is_open()) socket.release();
            if (*alive)  // the probe (and whoever waits for it) still exists
                done(ProbeResult{ok, std::move(reason),
                                 std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - started)});
        }

        MYSQL mysql{};
        bool initialised = false;
        MYSQL_RES* result = nullptr;
        boost::asio::posix::stream_descriptor socket;
        boost::asio::steady_timer deadline;
        ProbeHandler done;
        std::shared_ptr<bool> alive;
        std::string query;
        std::optional<bool> galera_donor_ok;
        bool finished = false;
        std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    };

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::endpoint target_;
    std::string user_, password_, query_;
    std::optional<bool> galera_donor_ok_;  // set: a Galera check
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<Probe> make_mysql_probe(boost::asio::io_context& io,
                                        const config::MysqlCheck& check,
                                        const boost::asio::ip::tcp::endpoint& target) {
    return std::make_unique<MysqlProbe>(io, target, check.user, check.password, check.query,
                                        std::nullopt);
}

std::unique_ptr<Probe> make_galera_probe(boost::asio::io_context& io,
                                         const config::GaleraCheck& check,
                                         const boost::asio::ip::tcp::endpoint& target) {
    return std::make_unique<MysqlProbe>(io, target, check.user, check.password, "", check.donor_ok);
}

}  // namespace directord::healthcheck
