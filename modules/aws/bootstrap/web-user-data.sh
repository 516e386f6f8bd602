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
# its credentials (the environment's application login, never the admin) from Secrets Manager
# with the instance role: only the secret's ARN is here.
install -d -m 0755 /etc/webapp
printf 'DATABASE_HOST=%s\nDATABASE_PORT=1433\nDATABASE_SECRET_ARN=%s\n' '__DATABASE_FQDN__' '__DATABASE_SECRET_ARN__' > /etc/webapp/database.env
# Deep readiness, for drills and the readiness job (never the load balancer): logs in as the
# application login and writes + reads a row (modules/core/sql/readiness-probe.ts), with sqlcmd
# from Microsoft's package repository.
curl -fsSL https://packages.microsoft.com/config/rhel/9/prod.repo -o /etc/yum.repos.d/mssql-release.repo
dnf install -y sqlcmd
install -d -m 0755 /usr/local/lib/webapp
cat > /etc/webapp/readiness.json <<'JSON'
__READINESS_SETTINGS__
JSON
echo '__READINESS_SCRIPT_B64__' | base64 -d > /usr/local/lib/webapp/ready.py
chmod 0755 /usr/local/lib/webapp/ready.py
echo '__READINESS_UNIT_B64__' | base64 -d > /etc/systemd/system/webapp-ready.service
echo '__READINESS_LOCATION_B64__' | base64 -d > /etc/nginx/default.d/ready.conf
systemctl daemon-reload
systemctl enable --now webapp-ready
systemctl enable --now nginx
