#!/usr/bin/env bash
# A dual-stack service as one sync group, against a keepalived 2.2.7 pair member: an IPv4
# instance (VRID 51, 10.99.0.100) and an IPv6 one (VRID 52, fd99::100) move together, each way
# round. directord's IPv6 instance failing takes its IPv4 partner along and keepalived's group
# takes both; keepalived's IPv6 instance failing (track_file) takes its IPv4 partner along and
# directord takes both. After every move the client's ARP and neighbour entries name the new
# master's MAC.
LAB_IPV6=1
. "$(dirname "$0")/../../scripts/lab.sh"
command -v keepalived >/dev/null || fail "keepalived is not installed (scripts/install-deps.sh installs it)"
lab_up 2
DOWN6=$WORK/d1-down6 KDOWN=$WORK/d2-kdown

directord_config() {  # PRIORITY
    { echo "vrrp:"; echo "  instances:"
      instance_yaml web4 eth0 51 "$1" "$VIP" "${FAST[@]}"
      instance_yaml web6 eth0 52 "$1" "'$VIP6/64'" "${FAST[@]}" "track: { files: [ $DOWN6 ] }"
      echo "  sync_groups: [{ name: dual, instances: [web4, web6] }]"
    } >"$(config d1)"
}
keepalived_instance() {  # NAME VRID VIP [TRACK]
    printf 'vrrp_instance %s {\n    state BACKUP\n    interface eth0\n    virtual_router_id %s\n' "$1" "$2"
    printf '    priority 100\n    advert_int 0.1\n    virtual_ipaddress {\n        %s dev eth0\n    }\n' "$3"
    [ -z "${4:-}" ] || printf '    track_file {\n        %s weight 0\n    }\n' "$4"
    printf '}\n'
}
echo 0 >"$KDOWN"
{
    printf 'global_defs {\n    router_id d2\n    vrrp_version 3\n}\n'
    printf 'vrrp_track_file kdown {\n    file %s\n}\n' "$KDOWN"
    printf 'vrrp_sync_group DUAL {\n    group {\n        VI_4\n        VI_6\n    }\n}\n'
    keepalived_instance VI_4 51 "$VIP/24"
    keepalived_instance VI_6 52 "$VIP6/64" kdown
} >"$WORK/d2-keepalived.conf"

client_sees() { [ "$(client_neighbour_mac "$1")" = "$(mac_of "$2")" ]; }  # ADDRESS NODE
both_on() {  # NODE SECONDS: both VIPs on NODE, and the client's caches point at it
    expect_vip_on "$1" "$2" "$VIP"
    expect_vip_on "$1" "$2" "$VIP6"
    local address
    for address in "$VIP" "$VIP6"; do
        wait_for 3 client_sees "$address" "$1" ||
            fail "client's entry for $address is '$(client_neighbour_mac "$address")', not $1's $(mac_of "$1")"
    done
    say "client: $VIP and $VIP6 at $(mac_of "$1") ($1)"
}

say "directord d1 (101) master of both, keepalived d2 (100) backup of both"
directord_config 101
start d1
expect_vip_on d1 5 "$VIP"
run_keepalived d2 "$WORK/d2-keepalived.conf"
expect_log d2 "(VI_4) Entering BACKUP STATE" 3
expect_log d2 "(VI_6) Entering BACKUP STATE" 3
for address in "$VIP" "$VIP6"; do  # the client's entries, for the announcements to update
    ip netns exec "$(ns c1)" ping -c1 -W2 -q "$address" >/dev/null || fail "client cannot reach $address"
done
both_on d1 3
expect_stays d1 1 "$VIP6"

say "d1's IPv6 instance fails: its IPv4 partner follows, keepalived's group takes both"
touch "$DOWN6"
both_on d2 3
expect_log d1 "web4: entering FAULT state (sync group dual: web6 is in FAULT"
rm -f "$DOWN6"
both_on d1 3
expect_log d2 "(VI_4) Entering BACKUP STATE" 3

say "keepalived master of both, directord d1 (99) backup of both"
stop d1 TERM
both_on d2 3
directord_config 99
start d1
expect_log d1 "web6: entering BACKUP state" 3
expect_stays d2 2 "$VIP6"
has_vip d1 "$VIP" && fail "d1 holds $VIP as a backup"

say "keepalived's IPv6 instance fails (track_file): its IPv4 partner follows, d1 takes both"
echo 1 >"$KDOWN"
both_on d1 3
expect_log d2 "(VI_6) Entering FAULT STATE" 3
expect_log d1 "web4: entering MASTER state" 1
say "PASS"
