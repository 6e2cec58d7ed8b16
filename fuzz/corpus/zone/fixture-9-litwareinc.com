; contoso.com: LOOK-ALIKES, none of which is Microsoft 365. Names are matched by whole
; labels: contoso-com.mail.protection.outlook.com.evil.example is under evil.example, and
; xmail.protection.outlook.com is not under mail.protection.outlook.com.
; Served by "olddns" (127.77.0.20-21).
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.olddns.example. hostmaster.contoso.com. (
                            2026010101 3600 900 1209600 3600 )
@                   IN NS   ns1.olddns.example.
@                   IN NS   ns2.olddns.example.
@                   IN MX   0 contoso-com.mail.protection.outlook.com.evil.example.
@                   IN MX   10 xmail.protection.outlook.com.
@                   IN TXT  "v=spf1 include:spf.protection.outlook.com.evil.example -all"
autodiscover        IN CNAME autodiscover.outlook.com.evil.example.
selector1._domainkey IN CNAME selector1-litwareinc-com._domainkey.litwareinc.onmicrosoft.com.evil.example.
