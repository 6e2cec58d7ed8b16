; contoso.com: the zone's own NS set (ns1.olddns + ns1.newdns) differs from the
; delegation in com. (ns1.olddns + ns2.olddns): ns-inconsistent. Served by both "olddns"
; (127.77.0.20-21) and "newdns" (127.77.0.30-31), identically. Nothing at Microsoft.
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.olddns.example. hostmaster.contoso.com. (
                            2026010101 3600 900 1209600 3600 )
@                   IN NS   ns1.olddns.example.
@                   IN NS   ns1.newdns.example.
@                   IN MX   10 mx1.newmail.example.
@                   IN TXT  "v=spf1 include:_spf.newmail.example -all"
