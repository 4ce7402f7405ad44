#!/usr/bin/env bash
# Host tuning for Cassandra's pinned hot threads.
#
#   tune-host.sh [--dry-run]        (default) detect, print what would change and how to revert
#   tune-host.sh --apply            make the changes (root); kernel arguments need a reboot
#   tune-host.sh --apply --runtime-only
#                                   only the settings a reboot resets (IRQs, governor, THP,
#                                   NIC coalescing): what cassandra-host-tune.service runs at boot
#   tune-host.sh --revert           undo an --apply (runs the revert script it recorded)
#   --hot-cpus 2,3,4,5              choose the hot CPUs instead of the computed plan
#   --nic IFACE                     the NIC to tune (default: the default route's)
#
# The plan (deploy/README.md, "Core plan"): the first physical core (with its hyperthread
# siblings) is housekeeping: the kernel, IRQs, every other service and Cassandra's control
# threads. Four hot CPUs, one per remaining physical core when there are enough, are isolated
# (isolcpus, nohz_full, rcu_nocbs) for binance-ingest, poly-ingest, signal and order; their
# siblings are isolated too and left idle. With fewer than 6 online CPUs nothing is isolated:
# the pipeline shares cores and parks (src/pipeline/cores.rs), and isolating would starve it.
set -euo pipefail

MODE=dry-run
RUNTIME_ONLY=0
HOT_OVERRIDE=""
NIC=""
STATE_DIR=/var/lib/cassandra-tune
SYSTEMD_DIR=/etc/systemd/system
SYSCTL_FILE=/etc/sysctl.d/60-cassandra.conf
GRUB_FILE=/etc/default/grub.d/60-cassandra.cfg
CONFIG=/etc/cassandra/cassandra.toml
BUSY_POLL_US=50
HOT_THREADS=4
# sysfs to read the topology from; another root only to test plans (dry run only).
SYS=${TUNE_SYSFS:-/sys}

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) MODE=dry-run ;;
        --apply) MODE=apply ;;
        --revert) MODE=revert ;;
        --runtime-only) RUNTIME_ONLY=1 ;;
        --hot-cpus) HOT_OVERRIDE="${2:?--hot-cpus needs a list such as 2,3,4,5}"; shift ;;
        --nic) NIC="${2:?--nic needs an interface name}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [ "$MODE" = revert ]; then
    if [ ! -x "$STATE_DIR/revert.sh" ]; then
        echo "nothing to revert: $STATE_DIR/revert.sh does not exist" >&2
        exit 1
    fi
    "$STATE_DIR/revert.sh"
    echo "reverted; reboot to drop the kernel arguments"
    exit 0
fi
if [ "$MODE" = apply ] && [ "$SYS" != /sys ]; then
    echo "TUNE_SYSFS is for testing plans: --apply reads the real /sys only" >&2
    exit 2
fi
if [ "$MODE" = apply ] && [ "$(id -u)" -ne 0 ]; then
    echo "--apply needs root (run with sudo); --dry-run shows what it would do" >&2
    exit 1
fi

CHANGES=0
REVERT=()

say() { printf '%s\n' "$*"; }
item() { printf '  %-10s %-22s %s\n' "$1" "$2" "$3"; }
# want NAME CURRENT WANTED REVERT-COMMAND: record a change (and do nothing else).
want() {
    if [ "$2" = "$3" ]; then
        item ok "$1" "$2"
    else
        item change "$1" "$2 -> $3"
        CHANGES=$((CHANGES + 1))
        [ -n "${4:-}" ] && REVERT+=("$4")
    fi
    return 0
}
unsupported() { item n/a "$1" "$2"; }

# Expand "0-3,8" to "0 1 2 3 8".
expand() {
    local part i out=()
    local IFS=,
    for part in $1; do
        if [[ "$part" == *-* ]]; then
            for ((i = ${part%-*}; i <= ${part#*-}; i++)); do out+=("$i"); done
        else
            out+=("$part")
        fi
    done
    IFS=' '
    echo "${out[*]}"
}
# Join words with commas.
commas() { local IFS=,; echo "$*"; }

# --- detect --------------------------------------------------------------------------------
ONLINE=$(expand "$(cat "$SYS/devices/system/cpu/online")")
read -r -a CPUS <<<"$ONLINE"
NCPU=${#CPUS[@]}
declare -A CORE_OF=()
CORES=()
for c in "${CPUS[@]}"; do
    sib=$SYS/devices/system/cpu/cpu$c/topology/thread_siblings_list
    key=$([ -r "$sib" ] && cat "$sib" || echo "$c")
    if [ -z "${CORE_OF[$key]:-}" ]; then
        CORES+=("$key")
        CORE_OF[$key]=1
    fi
done
NPHYS=${#CORES[@]}

say "Cassandra host tuning ($MODE)"
say "  machine:   $(uname -r), $NCPU online CPUs ($ONLINE), $NPHYS physical cores"
[ -r "$SYS/devices/system/cpu/cpu0/cpufreq/scaling_governor" ] || say "  note:      no cpufreq (a VM: the hypervisor sets frequency)"

HOUSE=()
HOT=()
IDLE=()
if [ -n "$HOT_OVERRIDE" ]; then
    read -r -a HOT <<<"$(expand "$HOT_OVERRIDE")"
    for c in "${HOT[@]}"; do
        if [[ " ${CPUS[*]} " != *" $c "* ]]; then
            echo "--hot-cpus: CPU $c is not online (online: $ONLINE)" >&2
            exit 2
        fi
    done
    if [ "${#HOT[@]}" -ne "$HOT_THREADS" ] || [ "$(printf '%s\n' "${HOT[@]}" | sort -u | wc -l)" -ne "$HOT_THREADS" ]; then
        echo "--hot-cpus: give $HOT_THREADS distinct CPUs (binance-ingest, poly-ingest, signal, order)" >&2
        exit 2
    fi
    for c in "${CPUS[@]}"; do
        [[ " ${HOT[*]} " == *" $c "* ]] || HOUSE+=("$c")
    done
    if [ "${#HOUSE[@]}" -eq 0 ]; then
        echo "--hot-cpus: no CPU would be left for housekeeping (online: $ONLINE)" >&2
        exit 2
    fi
elif [ "$NCPU" -ge $((HOT_THREADS + 2)) ]; then
    read -r -a HOUSE <<<"$(expand "${CORES[0]}")"
    rest=("${CORES[@]:1}")
    if [ "${#rest[@]}" -ge "$HOT_THREADS" ]; then
        # One hot CPU per physical core; the siblings stay isolated and idle.
        for key in "${rest[@]:0:$HOT_THREADS}"; do
            read -r -a sib <<<"$(expand "$key")"
            HOT+=("${sib[0]}")
            IDLE+=("${sib[@]:1}")
        done
        for key in "${rest[@]:$HOT_THREADS}"; do
            read -r -a sib <<<"$(expand "$key")"
            HOUSE+=("${sib[@]}")
        done
    else
        # Not enough physical cores: hot threads on logical CPUs, siblings shared.
        for c in "${CPUS[@]}"; do
            [[ " ${HOUSE[*]} " == *" $c "* ]] && continue
            if [ "${#HOT[@]}" -lt "$HOT_THREADS" ]; then HOT+=("$c"); else HOUSE+=("$c"); fi
        done
        say "  warning:   fewer than $((HOT_THREADS + 1)) physical cores: hot threads share physical cores with their siblings"
    fi
fi

if [ "${#HOUSE[@]}" -gt 0 ]; then
    mapfile -t HOUSE < <(printf '%s\n' "${HOUSE[@]}" | sort -n)
fi
if [ "${#HOT[@]}" -eq 0 ]; then
    say "  plan:      $NCPU CPUs: too few to isolate; Cassandra shares them and parks (no kernel arguments, no CPU drop-ins)"
else
    say "  plan:      housekeeping CPUs $(commas "${HOUSE[@]}"); hot CPUs $(commas "${HOT[@]}")${IDLE[*]:+; idle siblings $(commas "${IDLE[@]}")}"
    say "  config:    $CONFIG [pipeline] cores = [$(commas "${HOT[@]}" | sed 's/,/, /g')], wait = \"spin\""
fi
ISOL=("${HOT[@]}" "${IDLE[@]}")
ISOL_LIST=$(commas "${ISOL[@]}")
HOUSE_LIST=$(commas "${HOUSE[@]}")
ALLOWED_LIST=$(commas "${HOUSE[@]}" "${HOT[@]}")

if [ -z "$NIC" ]; then
    NIC=$(awk '$2 == "00000000" { print $1; exit }' /proc/net/route 2>/dev/null || true)
fi
say ""

# --- kernel arguments (boot) -------------------------------------------------------------
say "Kernel arguments (take effect after a reboot):"
CMDLINE=$(cat /proc/cmdline)
if [ "$RUNTIME_ONLY" -eq 1 ]; then
    item skip "kernel arguments" "--runtime-only"
elif [ "${#ISOL[@]}" -eq 0 ]; then
    item ok "isolation" "none wanted on $NCPU CPUs"
else
    ARGS="isolcpus=managed_irq,domain,$ISOL_LIST nohz_full=$ISOL_LIST rcu_nocbs=$ISOL_LIST irqaffinity=$HOUSE_LIST transparent_hugepage=never"
    for a in $ARGS; do
        cur=$(tr ' ' '\n' <<<"$CMDLINE" | grep "^${a%%=*}=" || echo "(unset)")
        want "${a%%=*}" "$cur" "$a"
    done
    if [ -d /etc/default/grub.d ] || [ -f /etc/default/grub ]; then
        item how "bootloader" "GRUB: $GRUB_FILE, then update-grub"
        REVERT+=("rm -f $GRUB_FILE && update-grub")
        if [ "$MODE" = apply ]; then
            mkdir -p /etc/default/grub.d
            # shellcheck disable=SC2016 # $GRUB_CMDLINE_LINUX_DEFAULT is expanded by GRUB, not here
            printf '# Written by tune-host.sh: isolated cores for Cassandra\nGRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT %s"\n' "$ARGS" >"$GRUB_FILE"
            update-grub
        fi
    else
        unsupported "bootloader" "no GRUB found: add to the kernel command line by hand: $ARGS"
    fi
fi
say ""

# --- runtime settings --------------------------------------------------------------------
say "Runtime settings:"
# IRQ affinity: every movable IRQ to the housekeeping CPUs; irqbalance would undo it.
if [ "${#HOT[@]}" -eq 0 ]; then
    item ok "IRQ affinity" "nothing isolated"
else
    if systemctl is-active --quiet irqbalance 2>/dev/null; then
        want "irqbalance" "active" "stopped" "systemctl enable --now irqbalance"
        [ "$MODE" = apply ] && systemctl disable --now irqbalance
    fi
    moved=0
    for f in /proc/irq/*/smp_affinity_list; do
        [ -r "$f" ] || continue
        cur=$(cat "$f")
        [ "$cur" = "$HOUSE_LIST" ] && continue
        moved=$((moved + 1))
        if [ "$MODE" = apply ]; then
            echo "$HOUSE_LIST" >"$f" 2>/dev/null || true
        fi
    done
    want "IRQs off hot CPUs" "$moved to move" "0 to move" "# IRQ affinity returns to the kernel's default at the next reboot"
fi

# CPU frequency governor.
gov=/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor
if [ -r "$gov" ]; then
    cur=$(cat "$gov")
    avail=$(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_available_governors 2>/dev/null || echo "")
    if [[ " $avail " == *" performance "* ]]; then
        want "governor" "$cur" "performance" "for g in /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; do echo $cur > \$g; done"
        if [ "$MODE" = apply ]; then
            for g in /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; do echo performance >"$g"; done
        fi
    else
        unsupported "governor" "$cur (no performance governor offered: $avail)"
    fi
else
    unsupported "governor" "no cpufreq on this machine"
fi

# Transparent huge pages: khugepaged compaction stalls are latency spikes.
thp=/sys/kernel/mm/transparent_hugepage/enabled
if [ -r "$thp" ]; then
    cur=$(sed 's/.*\[\(.*\)\].*/\1/' "$thp")
    want "THP" "$cur" "never" "echo $cur > $thp"
    if [ "$MODE" = apply ]; then echo never >"$thp" || item n/a "THP" "not writable here"; fi
else
    unsupported "THP" "no $thp"
fi

# Guest halt polling (a VM with the haltpoll cpuidle driver): an idle vCPU that halts at once
# turns every wake-up of a sleeping thread into a VM exit and a host reschedule. Measured on a
# 2-vCPU Firecracker guest (perf/plans/NOTES.md): loopback round trip p50 46 -> 12.9 us with
# 200 us of polling. The cost is idle CPU time spent polling, on a machine that is Cassandra's.
hp=$SYS/module/haltpoll/parameters/guest_halt_poll_ns
if [ -r "$hp" ]; then
    cur=$(cat "$hp")
    if [ "$cur" -ge 200000 ] 2>/dev/null; then
        item ok "guest halt poll" "$cur ns"
    else
        want "guest halt poll" "$cur ns" "200000 ns" "echo $cur > $hp"
        if [ "$MODE" = apply ]; then echo 200000 >"$hp" || item n/a "guest halt poll" "not writable here"; fi
    fi
else
    unsupported "guest halt poll" "no haltpoll cpuidle driver (bare metal, or not a KVM guest)"
fi

# Busy polling on sockets (the feeds' reads).
if [ "$RUNTIME_ONLY" -eq 0 ]; then
    for k in net.core.busy_poll net.core.busy_read; do
        f=/proc/sys/${k//.//}
        if [ -r "$f" ]; then
            want "$k" "$(cat "$f")" "$BUSY_POLL_US" "rm -f $SYSCTL_FILE && sysctl -w $k=$(cat "$f")"
        else
            unsupported "$k" "no $f (kernel without busy polling, or a container)"
        fi
    done
    if [ "$MODE" = apply ]; then
        printf '# Written by tune-host.sh: busy polling for Cassandra feed sockets\nnet.core.busy_poll = %s\nnet.core.busy_read = %s\n' "$BUSY_POLL_US" "$BUSY_POLL_US" >"$SYSCTL_FILE"
        sysctl -p "$SYSCTL_FILE"
    fi
fi

# NIC interrupt coalescing: deliver each packet at once.
if [ -z "$NIC" ]; then
    unsupported "NIC" "no default route"
elif ! command -v ethtool >/dev/null 2>&1; then
    unsupported "NIC $NIC" "ethtool not installed (apt-get install ethtool)"
elif ! coal=$(ethtool -c "$NIC" 2>/dev/null); then
    unsupported "NIC $NIC" "driver does not report interrupt coalescing"
else
    for field in "Adaptive RX" "rx-usecs"; do
        line=$(grep -m1 "^$field" <<<"$coal" || true)
        if [ -z "$line" ] || [[ "$line" == *"n/a"* ]]; then
            unsupported "$NIC $field" "not supported by the driver"
            continue
        fi
        if [ "$field" = "Adaptive RX" ]; then
            cur=$(awk '{print $3}' <<<"$line")
            want "$NIC adaptive-rx" "$cur" "off" "ethtool -C $NIC adaptive-rx $cur"
            [ "$MODE" = apply ] && { ethtool -C "$NIC" adaptive-rx off || true; }
        else
            cur=$(awk '{print $2}' <<<"$line")
            want "$NIC rx-usecs" "$cur" "0" "ethtool -C $NIC rx-usecs $cur"
            [ "$MODE" = apply ] && { ethtool -C "$NIC" rx-usecs 0 || true; }
        fi
    done
fi
say ""

# --- systemd: CPU sets and the boot-time rerun ---------------------------------------------
say "systemd:"
if [ "$RUNTIME_ONLY" -eq 1 ]; then
    item skip "drop-ins" "--runtime-only"
elif [ "${#HOT[@]}" -eq 0 ]; then
    item ok "CPU drop-ins" "none wanted on $NCPU CPUs"
else
    for unit in system.slice user.slice init.scope; do
        f=$SYSTEMD_DIR/$unit.d/10-cassandra-housekeeping.conf
        cur=$([ -f "$f" ] && grep -o 'AllowedCPUs=.*' "$f" || echo "(all CPUs)")
        want "$unit" "$cur" "AllowedCPUs=$HOUSE_LIST" "rm -f $f"
        if [ "$MODE" = apply ]; then
            mkdir -p "$(dirname "$f")"
            printf '# Written by tune-host.sh: keep everything else off the hot CPUs\n[%s]\nAllowedCPUs=%s\n' \
                "$([ "$unit" = init.scope ] && echo Scope || echo Slice)" "$HOUSE_LIST" >"$f"
        fi
    done
    f=$SYSTEMD_DIR/cassandra.slice.d/10-cpus.conf
    want "cassandra.slice" "$([ -f "$f" ] && grep -o 'AllowedCPUs=.*' "$f" || echo "(unset)")" "AllowedCPUs=$ALLOWED_LIST" "rm -f $f"
    if [ "$MODE" = apply ]; then
        mkdir -p "$(dirname "$f")"
        printf '# Written by tune-host.sh\n[Slice]\nAllowedCPUs=%s\n' "$ALLOWED_LIST" >"$f"
    fi
    f=$SYSTEMD_DIR/cassandra.service.d/10-cpus.conf
    want "cassandra.service" "$([ -f "$f" ] && grep -o 'CPUAffinity=.*' "$f" || echo "(unset)")" "CPUAffinity=${ALLOWED_LIST//,/ }" "rm -f $f"
    if [ "$MODE" = apply ]; then
        mkdir -p "$(dirname "$f")"
        printf '# Written by tune-host.sh: housekeeping + hot CPUs; the hot threads pin inside\n[Service]\nCPUAffinity=%s\n' "${ALLOWED_LIST//,/ }" >"$f"
    fi
    # The hot threads pin to the hot CPUs: `[pipeline] cores` in Cassandra's configuration.
    f=$CONFIG
    wanted="cores = [$(commas "${HOT[@]}" | sed 's/,/, /g')]"
    if [ -f "$f" ] && [ "$(grep -c '^cores = ' "$f")" -eq 1 ]; then
        cur=$(grep '^cores = ' "$f")
        want "[pipeline] cores" "$cur" "$wanted" "sed -i 's/^cores = .*/$cur/' $f"
        [ "$MODE" = apply ] && sed -i "s/^cores = .*/$wanted/" "$f"
    else
        unsupported "[pipeline] cores" "no single 'cores = ' line in $f: set $wanted under [pipeline] by hand"
    fi
    f=$SYSTEMD_DIR/cassandra-host-tune.service
    want "boot rerun" "$([ -f "$f" ] && echo installed || echo absent)" "installed" "systemctl disable cassandra-host-tune.service; rm -f $f"
    if [ "$MODE" = apply ]; then
        install -m 0755 "$0" /usr/local/sbin/cassandra-tune-host
        printf '[Unit]\nDescription=Cassandra host tuning (runtime settings)\nAfter=network-online.target\nWants=network-online.target\nBefore=cassandra.service\n\n[Service]\nType=oneshot\nExecStart=/usr/local/sbin/cassandra-tune-host --apply --runtime-only --hot-cpus %s\n\n[Install]\nWantedBy=multi-user.target\n' \
            "$(commas "${HOT[@]}")" >"$f"
        systemctl daemon-reload
        systemctl enable cassandra-host-tune.service
    fi
fi
say ""

# --- summary and revert ----------------------------------------------------------------------
if [ "$CHANGES" -eq 0 ]; then
    say "Nothing to change."
elif [ "$MODE" = dry-run ]; then
    say "$CHANGES change(s) would be made. Apply with: sudo $0 --apply"
else
    say "$CHANGES change(s) made. Reboot for kernel arguments; check with: $0 --dry-run"
fi
if [ "${#REVERT[@]}" -gt 0 ]; then
    say "To revert:"
    for r in "${REVERT[@]}"; do say "  $r"; done
    if [ "$MODE" = apply ] && [ "$RUNTIME_ONLY" -eq 0 ]; then
        mkdir -p "$STATE_DIR"
        {
            echo "#!/usr/bin/env bash"
            echo "# Written by tune-host.sh --apply on $(date -u +%FT%TZ): undoes it."
            echo "set -uo pipefail"
            for r in "${REVERT[@]}"; do echo "$r"; done
            echo "systemctl daemon-reload"
        } >"$STATE_DIR/revert.sh"
        chmod 0700 "$STATE_DIR/revert.sh"
        say "  (recorded in $STATE_DIR/revert.sh; run: $0 --revert)"
    fi
fi
