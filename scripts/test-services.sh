#!/usr/bin/env bash
# Makes sure what the test suite needs is here: PostgreSQL (127.0.0.1:5432, trust), MariaDB
# (127.0.0.1:3306, root without password), Redis (127.0.0.1:6379), Chromium, poppler-utils, kubectl and HAProxy. Run by
# `npm test` and `.ci/run`. As root on a Debian machine it installs what is missing from Debian's
# packages and starts what is down; otherwise it stops at once with the one command that would.
# Set TEST_SERVICES=skip to run the suite against services configured elsewhere (TEST_*_URL).
set -uo pipefail
[ "${TEST_SERVICES:-}" = skip ] && exit 0

pg_up()      { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
mariadb_up() { mysqladmin -h 127.0.0.1 -uroot ping >/dev/null 2>&1; }
redis_up()   { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
chromium_ok() { [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; }
kubectl_ok() { command -v kubectl >/dev/null; }
# pdftoppm and pdftotext: the extract tests render each certified extract and read its text back.
poppler_ok() { command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null; }
haproxy_ok() { command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ]; }

missing=()
pg_up || missing+=(postgresql)
mariadb_up || missing+=(mariadb)
redis_up || missing+=(redis)
chromium_ok || missing+=(chromium)
poppler_ok || missing+=(poppler-utils)
kubectl_ok || missing+=(kubectl)
haproxy_ok || missing+=(haproxy)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "npm test needs ${missing[*]}: run 'sudo bash scripts/test-services.sh' once (installs and starts them from Debian's packages), then npm test again." >&2
  exit 1
fi

wait_for() { # name, check
  for _ in $(seq 1 60); do "$2" && return 0; sleep 1; done
  echo "test-services: $1 did not come up" >&2; exit 1
}
packages=()
command -v pg_ctlcluster >/dev/null || packages+=(postgresql)
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || packages+=(mariadb-server)
command -v redis-server >/dev/null || packages+=(redis-server)
chromium_ok || packages+=(chromium)
poppler_ok || packages+=(poppler-utils)
# kubectl renders deploy/kubernetes (test/unit/kubernetes.test.ts); Debian's kubernetes-client has
# kustomize v2, which the manifests keep to. Any newer kubectl already on the machine does too.
kubectl_ok || packages+=(kubernetes-client)
# The load balancer in front of three gateway replicas (test/e2e/replicas.test.ts); redis-server
# above also runs the Redis Cluster and, as `redis-server --sentinel`, the sentinels of the tests.
haproxy_ok || packages+=(haproxy)
if [ ${#packages[@]} -gt 0 ]; then
  echo "test-services: installing ${packages[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null || exit 1
fi
# A CJK font, so the screenshots the browser tests write show Chinese labels (cosmetic only).
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 || true

if ! pg_up; then
  echo "test-services: starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  # The suite connects as postgres over TCP without a password (trust on loopback only).
  hba=/etc/postgresql/$version/main/pg_hba.conf
  grep -q '^host all all 127.0.0.1/32 trust' "$hba" || sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_for PostgreSQL pg_up
fi
if ! mariadb_up; then
  echo "test-services: starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  wait_for MariaDB mariadb_up
fi
if ! redis_up; then
  echo "test-services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis_up
fi
exit 0
