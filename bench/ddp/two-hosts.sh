#!/usr/bin/env bash
# All-reduce bandwidth between two "hosts" that share only a TCP link: two
# network namespaces joined by a veth pair (addresses of a private /30 that
# exist only inside them), one rank in each, Open MPI's TCP transport, as
# internal/mpitest.RunTwoHosts sets them up. Needs root and iproute2.
#   bench/ddp/two-hosts.sh [ddpbench flags...]   (default: --size base --steps 0 --reps 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
bin=$tmp/ddpbench
go build -tags mpi -o "$bin" ./bench/ddp
a=dgbench$$a b=dgbench$$b
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add "$a"
ip netns add "$b"
ip link add v0 netns "$a" type veth peer name v1 netns "$b"
ip -n "$a" addr add 10.213.0.1/30 dev v0
ip -n "$b" addr add 10.213.0.2/30 dev v1
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set v0 up
ip -n "$b" link set v1 up
cat > "$tmp/agent" <<AGENT
#!/bin/sh
host=\$1; shift
case \$host in 10.213.0.1) ns=$a;; 10.213.0.2) ns=$b;; *) exit 1;; esac
exec ip netns exec \$ns /bin/sh -c "\$*"
AGENT
chmod +x "$tmp/agent"
printf '10.213.0.1 slots=1\n10.213.0.2 slots=1\n' > "$tmp/hosts"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--size base --steps 0 --reps 3)
ip netns exec "$a" mpirun -np 2 --hostfile "$tmp/hosts" --mca plm_rsh_agent "$tmp/agent" \
	--mca btl tcp,self --mca btl_tcp_if_include 10.213.0.0/30 --mca oob_tcp_if_include 10.213.0.0/30 \
	"$bin" "${args[@]}"
