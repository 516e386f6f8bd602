# WebServerVM bootstrap for Windows, identical in every region. Tokens in ${...} are filled by
# modules/azure/web-tier.ts. Installs IIS and serves /health; no secrets here: the application
# logs in as the environment's application login, its password read from Key Vault with the VM's
# managed identity.
$ErrorActionPreference = 'Stop'
Install-WindowsFeature -Name Web-Server -IncludeManagementTools | Out-Null
$root = 'C:\inetpub\wwwroot'
# /health is an extension-less static file (a folder would answer 301, which probes count as down).
Set-Content -Path "$root\health" -Value 'ok ${region}' -Encoding ascii
@'
<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.webServer>
    <staticContent><mimeMap fileExtension="." mimeType="text/plain" /></staticContent>
    <httpProtocol><customHeaders><add name="X-Served-By-Region" value="${region}" /></customHeaders></httpProtocol>
  </system.webServer>
</configuration>
'@ | Set-Content -Path "$root\web.config" -Encoding utf8
New-Item -ItemType Directory -Force -Path 'C:\webapp' | Out-Null
@{ region = '${region}'; databaseHost = '${databaseHost}'; databasePort = 1433; databaseUser = '${databaseUser}'; keyVaultName = '${keyVaultName}'; databasePasswordSecret = '${databasePasswordSecret}' } |
  ConvertTo-Json | Set-Content -Path 'C:\webapp\settings.json' -Encoding utf8
