; no SOA at all
$TTL 3600
@ IN NS ns1.contoso.com.
ns1 IN A 192.0.2.1
