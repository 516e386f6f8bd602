#!/bin/bash
# Web tier bootstrap (Amazon Linux 2023), identical in every region: nginx serving the site and
# a /health endpoint for the load balancer and Global Accelerator. Packages come from the
# Amazon Linux repositories in S3 (reachable through the S3 gateway endpoint without NAT).
set -euo pipefail
dnf install -y nginx
cat > /etc/nginx/default.d/health.conf <<'CONF'
location = __PROBE_PATH__ {
    access_log off;
    default_type text/plain;
    return 200 "ok\n";
}
CONF
# The application reads its database host from here (the private name failover repoints) and
# its credentials from Secrets Manager with the instance role: only the secret's ARN is here.
install -d -m 0755 /etc/webapp
printf 'DATABASE_HOST=%s\nDATABASE_PORT=1433\nDATABASE_SECRET_ARN=%s\n' '__DATABASE_FQDN__' '__DATABASE_SECRET_ARN__' > /etc/webapp/database.env
systemctl enable --now nginx
