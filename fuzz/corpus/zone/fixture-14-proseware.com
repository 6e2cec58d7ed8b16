; contoso.com: records left over from the legacy Microsoft Cloud Germany
; (closed in 2021). Served by "olddns" (127.77.0.20-21).
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.olddns.example. hostmaster.contoso.com. (
                            2026010101 3600 900 1209600 3600 )
@                   IN NS   ns1.olddns.example.
@                   IN NS   ns2.olddns.example.
@                   IN MX   0 proseware-com.mail.protection.outlook.de.
@                   IN TXT  "v=spf1 include:spf.protection.outlook.de -all"
autodiscover        IN CNAME autodiscover-outlook.office.de.
