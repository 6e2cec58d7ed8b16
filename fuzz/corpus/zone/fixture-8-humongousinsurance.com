; contoso.com: a HALF-SWITCHED delegation. com. delegates it to two of
; Microsoft's servers and two of the new host's; the new host serves this zone (NS as the
; parent's, MX at the new mail provider) while Microsoft's servers still serve the old one
; (stale/contoso.com.zone, MX at Microsoft): the servers disagree. Served by
; "newdns" (127.77.0.30-31).
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.newdns.example. hostmaster.contoso.com. (
                            2026020101 3600 900 1209600 3600 )
@                   IN NS   ns1.bdm.microsoftonline.com.
@                   IN NS   ns2.bdm.microsoftonline.com.
@                   IN NS   ns1.newdns.example.
@                   IN NS   ns2.newdns.example.
@                   IN MX   10 mx1.newmail.example.
@                   IN TXT  "v=spf1 include:_spf.newmail.example -all"
