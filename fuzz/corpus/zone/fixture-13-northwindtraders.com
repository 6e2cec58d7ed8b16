; contoso.com: the MX names a host of the new mail provider, but that host is a
; CNAME chain (mail.newmail.example -> relay.newmail.example ->
; northwindtraders-com.mail.protection.outlook.com): mail still goes to Microsoft 365.
; Nothing else here mentions Microsoft. Served by "olddns" (127.77.0.20-21).
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.olddns.example. hostmaster.contoso.com. (
                            2026010101 3600 900 1209600 3600 )
@                   IN NS   ns1.olddns.example.
@                   IN NS   ns2.olddns.example.
@                   IN MX   10 mail.newmail.example.
@                   IN TXT  "v=spf1 include:_spf.newmail.example -all"
