#!/usr/bin/env bash
# SMTP checks against a real MTA: a private Postfix instance (its own configuration, queue and
# certificate) in a namespace of its own, listening with STARTTLS on one port and without it on
# another. Up (plain, STARTTLS, a verified certificate), wrong answers (STARTTLS not offered,
# an untrusted or misnamed certificate), a closed port, a frozen server. Skipped (exit 77)
# where the machine has another MTA instead of Postfix.
set -euo pipefail
PROBE_ONCE=${PROBE_ONCE:?set PROBE_ONCE to the probe_once test tool}
command -v postfix >/dev/null || { echo "SKIPPED: no Postfix (another MTA on this machine)"; exit 77; }
NS=dd-smtp-$$
WORK=$(mktemp -d /tmp/directord-smtp.XXXXXX)
CONF=$WORK/conf
master=  # the instance's master process, once started
stop_servers() {
    if [ -n "$master" ]; then  # it stops its children; a frozen one is woken first
        pkill -CONT -P "$master" 2>/dev/null || true
        kill -CONT "$master" 2>/dev/null || true
        kill -TERM "$master" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
    fi
}
. "$(dirname "$0")/probe_lib.sh"
probe_namespace

chmod 755 "$WORK"
mkdir -p "$CONF" "$WORK/queue" "$WORK/data"
chown postfix "$WORK/data"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$CONF/key.pem" -out "$CONF/cert.pem" -days 2 \
    -subj "/CN=mail.test" -addext "subjectAltName=DNS:mail.test" 2>/dev/null
chmod 600 "$CONF/key.pem"
cat >"$CONF/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $WORK/queue
data_directory = $WORK/data
myhostname = mail.test
inet_interfaces = loopback-only
inet_protocols = all
smtpd_tls_cert_file = $CONF/cert.pem
smtpd_tls_key_file = $CONF/key.pem
smtpd_tls_security_level = may
smtpd_peername_lookup = no
maillog_file = $WORK/maillog
maillog_file_prefixes = $WORK
CONF
cat >"$CONF/master.cf" <<CONF
2525      inet  n - n - - smtpd
2526      inet  n - n - - smtpd -o smtpd_tls_security_level=none
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CONF
ip netns exec "$NS" postfix -c "$CONF" start >"$WORK/start.log" 2>&1 || fail "postfix did not start: $(cat "$WORK/start.log")"
for _ in $(seq 100); do
    ip netns exec "$NS" ss -Hltn "sport = :2526" | grep -q . && break
    sleep 0.05
done
master=$(tr -d ' ' <"$WORK/queue/pid/master.pid")

TLS=127.0.0.1:2525 PLAIN=127.0.0.1:2526
expect UP "banner 220, EHLO 250 " '{ smtp: { helo_name: probe.test } }' "$PLAIN"
expect UP "STARTTLS and TLS" '{ smtp: { starttls: true, verify: false } }' "$TLS"
expect UP "STARTTLS and TLS" "{ smtp: { starttls: true, ca_file: $CONF/cert.pem, sni: mail.test } }" "$TLS"
expect DOWN "certificate of 127.0.0.1: self-signed certificate" '{ smtp: { starttls: true } }' "$TLS"
expect DOWN "certificate of other.test: hostname mismatch" "{ smtp: { starttls: true, ca_file: $CONF/cert.pem, sni: other.test } }" "$TLS"
expect DOWN "STARTTLS answered 502" '{ smtp: { starttls: true, verify: false } }' "$PLAIN"
expect DOWN "Connection refused" '{ smtp: {} }' 127.0.0.1:2599
if [ -n "$have6" ]; then
    expect UP "STARTTLS and TLS" '{ smtp: { starttls: true, verify: false } }' '[::1]:2525'
fi
# The instance frozen (its master and the smtpd processes it keeps): the kernel still accepts,
# nobody sends a banner.
kill -STOP "$master"
pkill -STOP -P "$master"
expect DOWN "timed out after 300ms waiting for the banner" '{ smtp: {}, timeout: 300ms }' "$PLAIN"
pkill -CONT -P "$master"
kill -CONT "$master"
say "PASS"
