#!/usr/bin/env bash
# Whole-agent cost of FirewallConfiguration: `edgeguard run --once` in a private network
# namespace, empty and then with 300 nft + 300 iptables-nft + 100 iptables-legacy rules, under
# /usr/bin/time (wall, CPU of the agent and its tools, peak RSS of the agent). Needs root.
#   bash bench/firewall.sh [path/to/edgeguard]
set -euo pipefail
cd "$(dirname "$0")/.."
agent=${1:-build/edgeguard}
ns="edgeguard-fwbench-sh-$$"
work=$(mktemp -d /tmp/edgeguard-fwbench-XXXXXX)
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"' EXIT
ip netns add "$ns"

measure() {
  local label=$1
  for i in 1 2 3; do
    rm -rf "$work/state" "$work/out.jsonl"
    ip netns exec "$ns" /usr/bin/time -f "$label run $i: wall %e s, user %U s, sys %S s, max RSS %M KiB" \
      "$agent" run --once --state-dir "$work/state" --output "$work/out.jsonl" --log-level warn
  done
  python3 - "$work/out.jsonl" <<'PY'
import json, sys
rows = events = 0
for line in open(sys.argv[1]):
    for event in json.loads(line)["Events"]:
        if event["Name"] == "FirewallConfiguration":
            events += 1
            rows += len(event["Payload"])
print(f"  FirewallConfiguration: {events} event(s), {rows} row(s)")
PY
}

measure "no rules"

{
  echo "table inet bench {"
  echo "  chain input { type filter hook input priority 0; policy drop;"
  for i in $(seq 0 299); do
    echo "    ip saddr 10.$((i / 250)).$((i % 250)).0/24 tcp dport $((1000 + i)) ct state new counter accept comment \"rule $i\""
  done
  echo "  }"
  echo "}"
} > "$work/rules.nft"
{
  echo "*filter"
  echo ":INPUT DROP [0:0]"
  echo ":FORWARD DROP [0:0]"
  echo ":OUTPUT ACCEPT [0:0]"
  echo ":services - [0:0]"
  echo "-A INPUT -j services"
  for i in $(seq 1 299); do
    echo "-A services -s 172.16.$((i % 250)).0/24 -p udp -m multiport --dports $((2000 + i)),$((3000 + i)) -m conntrack --ctstate NEW -m comment --comment \"service $i\" -j ACCEPT"
  done
  echo "COMMIT"
} > "$work/rules.v4"
{
  echo "*filter"
  echo ":INPUT ACCEPT [0:0]"
  echo ":FORWARD ACCEPT [0:0]"
  echo ":OUTPUT ACCEPT [0:0]"
  for i in $(seq 0 99); do
    echo "-A OUTPUT -d 192.168.$i.0/24 -p tcp -m tcp --dport $((4000 + i)) -j REJECT"
  done
  echo "COMMIT"
} > "$work/legacy.v4"
ip netns exec "$ns" nft -f "$work/rules.nft"
ip netns exec "$ns" iptables-nft-restore < "$work/rules.v4"
ip netns exec "$ns" iptables-legacy-restore < "$work/legacy.v4"

measure "700 rules"
