; contoso.com: the newer DNSSEC-capable MX endpoint (*.o-v1.mx.microsoft) and the new
; DKIM CNAME format (*.n-v1.dkim.mail.microsoft). Served by "olddns" (127.77.0.20-21).
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.olddns.example. hostmaster.contoso.com. (
                            2026010101 3600 900 1209600 3600 )
@                   IN NS   ns1.olddns.example.
@                   IN NS   ns2.olddns.example.
@                   IN MX   0 relecloud-com.o-v1.mx.microsoft.
@                   IN TXT  "v=spf1 include:spf.protection.outlook.com -all"
selector1._domainkey IN CNAME selector1-relecloud-com._domainkey.relecloud.n-v1.dkim.mail.microsoft.
selector2._domainkey IN CNAME selector2-relecloud-com._domainkey.relecloud.n-v1.dkim.mail.microsoft.
