#include "tls_client.hpp"

#include <fmt/format.h>

#include <map>
#include <utility>

#include "directord/config/model.hpp"

namespace directord::healthcheck {
namespace {

namespace ssl = boost::asio::ssl;

// An Asio service so that the contexts belong to one loop and go with it.
class ClientContexts : public boost::asio::execution_context::service {
  public:
    static inline boost::asio::execution_context::id id;
    explicit ClientContexts(boost::asio::execution_context& context) : service(context) {}

    std::shared_ptr<ssl::context> get(bool verify, const std::string& ca_file) {
        std::erase_if(contexts_, [](const auto& entry) { return entry.second.expired(); });
        auto& slot = contexts_[{verify, verify ? ca_file : std::string()}];
        if (auto shared = slot.lock()) return shared;
        auto made = std::make_shared<ssl::context>(ssl::context::tls_client);
        made->set_verify_mode(verify ? ssl::verify_peer : ssl::verify_none);
        if (verify) {
            boost::system::error_code ignored;  // a store that cannot load fails each handshake
            if (ca_file.empty())
                made->set_default_verify_paths(ignored);
            else
                made->load_verify_file(ca_file, ignored);
        }
        slot = made;
        return made;
    }

  private:
    void shutdown() override {}
    std::map<std::pair<bool, std::string>, std::weak_ptr<ssl::context>> contexts_;
};

}  // namespace

std::shared_ptr<ssl::context> client_tls_context(boost::asio::io_context& io, bool verify,
                                                 const std::string& ca_file) {
    return boost::asio::use_service<ClientContexts>(io).get(verify, ca_file);
}

TlsPeer::TlsPeer(std::string name_, bool verify_)
    : name(std::move(name_)),
      is_address(config::parse_address(name).has_value()),
      verify(verify_) {}

void expect_peer(SSL* tls, const TlsPeer& peer) {
    if (!peer.is_address) SSL_set_tlsext_host_name(tls, peer.name.c_str());
    if (!peer.verify) return;
    auto* param = SSL_get0_param(tls);
    if (peer.is_address)
        X509_VERIFY_PARAM_set1_ip_asc(param, peer.name.c_str());
    else
        X509_VERIFY_PARAM_set1_host(param, peer.name.c_str(), 0);
}

std::string tls_failure(SSL* tls, const TlsPeer& peer, const boost::system::error_code& ec) {
    auto verified = SSL_get_verify_result(tls);
    if (verified == X509_V_OK) return "TLS handshake: " + ec.message();
    return fmt::format("TLS handshake: certificate of {}: {}", peer.name,
                       X509_verify_cert_error_string(verified));
}

}  // namespace directord::healthcheck
