#!/usr/bin/env bash
# directord and keepalived 2.2.7 on the same VRID, each way round, VRRPv2 with PASS auth
# and VRRPv3: each hears the other, exactly one holds the VIP, failover works both ways.
# Both hold a second address that is never advertised (keepalived's
# virtual_ipaddress_excluded, our excluded_vips): were it advertised, each would reject the
# other's adverts as an address mismatch and both would be master.
. "$(dirname "$0")/../../scripts/lab.sh"
export KEEPALIVED_EXCLUDED=$SUBNET.200
command -v keepalived >/dev/null || fail "keepalived is not installed (scripts/install-deps.sh installs it)"
lab_up 2

directord_config() {  # NODE PRIORITY VERSION
    local lines=("version: $3" "excluded_vips: [$KEEPALIVED_EXCLUDED/24]")
    if [ "$3" = 2 ]; then lines+=("advert_interval: 1s" "auth: { type: pass, password: secret12 }")
    else lines+=("advert_interval: 100ms"); fi
    { echo "vrrp:"; echo "  instances:"; instance_yaml web eth0 51 "$2" "$VIP" "${lines[@]}"; } >"$(config "$1")"
}

round() {  # round VERSION ADVERT PASSWORD TIMEOUT
    local version=$1 advert=$2 password=$3 t=$4
    : >"$WORK/d1.log"
    : >"$WORK/d2.log"
    say "v$version: directord d1 (101) master, keepalived d2 (100) backup"
    directord_config d1 101 "$version"
    start d1
    expect_vip_on d1 "$t"
    start_keepalived d2 100 "$version" "$advert" "$password"
    expect_log d2 "Entering BACKUP STATE" "$t"
    expect_stays d1 "$t"
    log_has d2 "Entering MASTER STATE" && fail "keepalived took over although it hears directord"
    has_vip d1 "$KEEPALIVED_EXCLUDED" || fail "directord does not hold the excluded address"
    has_vip d2 "$KEEPALIVED_EXCLUDED" && fail "keepalived holds the excluded address as backup"

    say "v$version: kill -9 directord: keepalived takes over"
    stop d1 KILL
    ip -n "$(ns d1)" addr del "$VIP/24" dev eth0
    expect_vip_on d2 "$t"
    say "v$version: directord returns with the higher priority and preempts keepalived"
    start d1
    expect_vip_on d1 "$((t + 2))"
    stop d1 TERM
    expect_vip_on d2 "$t"
    stop_keepalived d2 TERM
    wait_for 3 not has_vip d2 || fail "keepalived kept the VIP after SIGTERM"

    say "v$version: keepalived d1 (101) master, directord d2 (100) backup"
    start_keepalived d1 101 "$version" "$advert" "$password"
    expect_vip_on d1 "$((t + 2))"
    directord_config d2 100 "$version"
    start d2
    expect_log d2 "web: entering BACKUP state"
    expect_stays d1 "$t"
    log_has d2 "dropped advert" && fail "directord rejected keepalived's adverts: $(grep -m1 'dropped advert' "$WORK/d2.log")"
    has_vip d2 "$KEEPALIVED_EXCLUDED" && fail "directord holds the excluded address as backup"
    say "v$version: SIGTERM keepalived: directord takes over after skew time"
    stop_keepalived d1 TERM
    expect_vip_on d2 2
    expect_log d2 "resigned (priority 0)"
    wait_for 2 has_vip d2 "$KEEPALIVED_EXCLUDED" || fail "the excluded address did not move with the role"
    say "v$version: crash of the returning keepalived master: directord takes over again"
    start_keepalived d1 101 "$version" "$advert" "$password"
    expect_vip_on d1 "$((t + 2))"
    stop_keepalived d1 KILL
    ip -n "$(ns d1)" addr del "$VIP/24" dev eth0
    expect_vip_on d2 "$t"
    stop d2 TERM
}
round 2 1 secret12 6
round 3 0.1 - 2
say "PASS"
