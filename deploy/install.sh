#!/usr/bin/env bash
# Install Cassandra as a systemd service on Debian/Ubuntu (root). Idempotent: files an
# operator edits (/etc/cassandra/cassandra.toml, cassandra.env) are never overwritten.
#
#   install.sh [--binary PATH]   use a binary built elsewhere (same distribution release)
#                                instead of building from this checkout with cargo
#
# What it does: creates the `cassandra` system user; builds (cargo build --release --locked)
# or copies the binary to /usr/local/bin/cassandra; writes /etc/cassandra/cassandra.toml from
# config/live.example.toml (paper mode, journal in /var/lib/cassandra) and the environment
# file template (root:cassandra 0640); installs the unit, the slice, the hourly journal
# backup timer and, on systemd >= 254, the restart backoff drop-in; keeps the previous binary
# as /usr/local/bin/cassandra.prev; copies deploy/ to /opt/cassandra/deploy; enables the service.
# It does not start it and does not tune the host (deploy/tune-host.sh).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
BINARY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) BINARY="${2:?--binary needs a path}"; shift ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
    shift
done
if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh needs root" >&2
    exit 1
fi

if ! id cassandra >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/cassandra --no-create-home \
        --shell /usr/sbin/nologin cassandra
    echo "created user cassandra"
fi

if [ -z "$BINARY" ]; then
    echo "building $SRC (cargo build --release --locked)"
    (cd "$SRC" && cargo build --release --locked --bin cassandra)
    BINARY=$SRC/target/release/cassandra
fi
if [ -x /usr/local/bin/cassandra ]; then
    # The previous binary stays for a rollback (deploy/README.md, "Upgrades and rollbacks").
    cp -p /usr/local/bin/cassandra /usr/local/bin/cassandra.prev
fi
install -m 0755 "$BINARY" /usr/local/bin/cassandra.new
mv -f /usr/local/bin/cassandra.new /usr/local/bin/cassandra
echo "installed /usr/local/bin/cassandra ($(/usr/local/bin/cassandra --version))"

install -d -m 0750 -o root -g cassandra /etc/cassandra
if [ ! -f /etc/cassandra/cassandra.toml ]; then
    sed 's|^path = "cassandra-journal.db"|path = "/var/lib/cassandra/journal.db"|' \
        "$SRC/config/live.example.toml" >/etc/cassandra/cassandra.toml
    chown root:cassandra /etc/cassandra/cassandra.toml
    chmod 0640 /etc/cassandra/cassandra.toml
    echo "wrote /etc/cassandra/cassandra.toml (paper mode; edit it)"
fi
if [ ! -f /etc/cassandra/cassandra.env ]; then
    install -m 0640 -o root -g cassandra "$HERE/systemd/cassandra.env.example" /etc/cassandra/cassandra.env
    echo "wrote /etc/cassandra/cassandra.env (secrets; root:cassandra 0640)"
fi

install -m 0644 "$HERE/systemd/cassandra.service" /etc/systemd/system/cassandra.service
install -m 0644 "$HERE/systemd/cassandra.slice" /etc/systemd/system/cassandra.slice
install -m 0644 "$HERE/systemd/cassandra-backup.service" /etc/systemd/system/cassandra-backup.service
install -m 0644 "$HERE/systemd/cassandra-backup.timer" /etc/systemd/system/cassandra-backup.timer
SYSTEMD_VERSION=$(systemctl --version | awk 'NR == 1 { print $2 }')
if [ "${SYSTEMD_VERSION%%.*}" -ge 254 ]; then
    install -d /etc/systemd/system/cassandra.service.d
    install -m 0644 "$HERE/systemd/cassandra.service.d/20-backoff.conf" \
        /etc/systemd/system/cassandra.service.d/20-backoff.conf
else
    echo "systemd $SYSTEMD_VERSION < 254: restarts every 5 s without growing backoff"
fi

install -d /opt/cassandra
rm -rf /opt/cassandra/deploy.new
cp -r "$HERE" /opt/cassandra/deploy.new
rm -rf /opt/cassandra/deploy
mv /opt/cassandra/deploy.new /opt/cassandra/deploy

systemctl daemon-reload
systemctl enable cassandra.service cassandra-backup.timer
systemctl start cassandra-backup.timer
echo "enabled cassandra.service (start it with: systemctl start cassandra) and the hourly journal backup"
