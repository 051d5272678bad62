#pragma once
// The client side of TLS for the probes that speak it (HTTPS, SMTP STARTTLS): contexts shared
// by the checks that verify alike, the peer's name to verify, and what a failed handshake says.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <memory>
#include <string>

namespace directord::healthcheck {

// The context for checks that verify (against `ca_file`, else the system's store) or do not:
// one per kind in the loop, not one per real server. Making an SSL_CTX costs ~0.1 ms and reads
// the CA store; a context kept per real server would cost kilobytes each.
std::shared_ptr<boost::asio::ssl::context> client_tls_context(boost::asio::io_context& io,
                                                              bool verify,
                                                              const std::string& ca_file);

// The server a probe's attempts expect: decided once per probe, not parsed per handshake.
struct TlsPeer {
    TlsPeer(std::string name, bool verify);
    // Const: is_address is derived from name.
    const std::string name;  // SNI (unless an address) and the name verified
    const bool is_address;   // verified as an IP address, sent without SNI
    const bool verify;
};

// Sends the peer's name as SNI unless it is an address and, when verifying, makes OpenSSL check
// the certificate against it (host name or address), so a mismatch is told as one.
void expect_peer(SSL* tls, const TlsPeer& peer);

// "TLS handshake: ..." with the certificate's fault when verification failed.
std::string tls_failure(SSL* tls, const TlsPeer& peer, const boost::system::error_code& ec);

}  // namespace directord::healthcheck
